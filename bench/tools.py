"""tools: what the suite needs besides Python: the load generator, Go, wrk, the peers, a cert.

Builds ``bench/loadgen.c`` and the Go servers into ``bench/build/`` (again when the
source is newer), installs Debian packages with apt-get only when running as root
and allowed to, checks that a Python server's modules import (gonet falling back to
the checkout's ``src/``) and pip-installs the peers the ``bench`` extra cannot carry
(bjoern after libev-dev, meinheld without its pins), and makes a self-signed
certificate for TLS rows.
"""

import os
import shutil
import subprocess
from pathlib import Path

from suite import BUILD, LOADGEN_BIN, LOADGEN_SRC, ROOT, SERVERS_DIR, ServerSpec, log


def apt_install(packages: list[str], allow: bool) -> bool:
    """Install Debian packages when we are root and allowed to; True on success."""
    if not allow or os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", *packages]
    log(f"installing {' '.join(packages)} with apt-get …")
    for attempt in range(2):
        try:
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            return False
        if r.returncode == 0:
            return True
        if attempt == 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True,
                           timeout=600, check=False)
    log(f"apt-get install {' '.join(packages)} failed: {r.stderr.strip()[-300:]}")
    return False


def _stale(target: Path, source: Path) -> bool:
    return not target.exists() or target.stat().st_mtime < source.stat().st_mtime


def ensure_loadgen() -> Path:
    """Build bench/build/loadgen with the system compiler (again when the source is newer)."""
    if _stale(LOADGEN_BIN, LOADGEN_SRC):
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise SystemExit("bench: no C compiler (cc) found; install gcc")
        BUILD.mkdir(parents=True, exist_ok=True)
        tmp = LOADGEN_BIN.with_suffix(".tmp")
        cmd = [cc, "-O2", "-Wall", "-o", str(tmp), str(LOADGEN_SRC), "-lm"]
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            raise SystemExit(f"bench: building the load generator failed:\n{r.stderr}")
        tmp.replace(LOADGEN_BIN)
    return LOADGEN_BIN


def go_version() -> str:
    go = shutil.which("go")
    if not go:
        return ""
    r = subprocess.run([go, "version"], capture_output=True, text=True, check=False)
    return r.stdout.strip()


def ensure_go_server(allow_install: bool, prog: str = "go_echo") -> tuple[Path | None, str]:
    """Build bench/build/PROG from servers/PROG/main.go; installs golang-go when missing.

    -> (binary, why-not)."""
    if not shutil.which("go") and not apt_install(["golang-go"], allow_install):
        return None, "no Go toolchain (apt-get install golang-go failed or not allowed)"
    go = shutil.which("go")
    if not go:
        return None, "no Go toolchain"
    src, binary = SERVERS_DIR / prog / "main.go", BUILD / prog
    if _stale(binary, src):
        BUILD.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOCACHE": str(BUILD / "gocache"), "GOFLAGS": "",
               "GO111MODULE": "off", "GOPATH": str(BUILD / "gopath")}
        r = subprocess.run([go, "build", "-o", str(binary), "main.go"], cwd=src.parent,
                           env=env, capture_output=True, text=True, timeout=600, check=False)
        if r.returncode != 0:
            return None, f"go build failed: {r.stderr.strip()[-300:]}"
    return binary, ""


def ensure_wrk(allow_install: bool) -> str | None:
    if shutil.which("wrk") or apt_install(["wrk"], allow_install):
        return shutil.which("wrk")
    return None



def _import_check(python: str, spec: ServerSpec) -> tuple[str | None, dict[str, str]]:
    code = "import " + ", ".join(spec.modules)
    uses_gonet = "gonet" in spec.modules
    if uses_gonet:
        code += "; gonet.run, gonet.listen"
    envs: list[dict[str, str]] = [{}]
    if uses_gonet:  # the checkout's src/ when gonet is not installed
        pp = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
        envs.append({"PYTHONPATH": pp})
    why = ""
    for extra in envs:
        r = subprocess.run([python, "-c", code], env={**os.environ, **extra},
                           capture_output=True, text=True, timeout=60, check=False)
        if r.returncode == 0:
            return None, extra
        why = (r.stderr.strip().splitlines() or ["import failed"])[-1]
    return why, {}


def pip_install(python: str, spec: ServerSpec, allow: bool) -> str:
    """Install a peer that the bench extra cannot carry (a C build, broken pins); '' on success."""
    if not spec.pip:
        return "not installed"
    if not allow:
        return (f"not installed (--no-install; by hand: pip install {' '.join(spec.pip_flags)} "
                f"{' '.join(spec.pip)}" + (f" after apt-get install {' '.join(spec.apt)}"
                                          if spec.apt else "") + ")")
    if spec.apt and not apt_install(list(spec.apt), allow):
        return f"needs {' '.join(spec.apt)} (apt-get install failed or not allowed)"
    log(f"installing {' '.join(spec.pip)} with pip …")
    cmd = [python, "-m", "pip", "install", "-q", *spec.pip_flags, *spec.pip]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        return "pip install timed out"
    if r.returncode != 0:
        lines = [x for x in r.stderr.strip().splitlines() if "error" in x.lower()]
        return f"pip install {' '.join(spec.pip)} failed: " + " | ".join(lines[-3:])[-300:]
    return ""


def check_python_server(python: str, spec: ServerSpec, allow_install: bool = False
                        ) -> tuple[str | None, dict[str, str]]:
    """-> (why it cannot run or None, extra env). gonet falls back to the repo's src/;
    a peer with `pip` set is installed (with its `apt` build dependencies) when missing."""
    if not spec.modules:
        return None, {}
    why, env = _import_check(python, spec)
    if why is None:
        return None, env
    if spec.pip:
        failed = pip_install(python, spec, allow_install)
        if not failed:
            why, env = _import_check(python, spec)
            if why is None:
                return None, env
        else:
            why = f"{why}; {failed}"
    hint = "" if "gonet" in spec.modules or spec.pip else " (pip install -e '.[bench]')"
    return f"{why}{hint}", {}


def ensure_cert() -> tuple[Path, Path] | None:
    """A self-signed certificate for 127.0.0.1 in bench/build/ (for TLS rows), made with openssl."""
    cert, key = BUILD / "bench-cert.pem", BUILD / "bench-key.pem"
    if cert.exists() and key.exists():
        return cert, key
    if not shutil.which("openssl"):
        return None
    BUILD.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)],
                       capture_output=True, text=True, timeout=60, check=False)
    return (cert, key) if r.returncode == 0 else None
