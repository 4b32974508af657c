"""The two builds: the Cython-compiled hot path and plain Python (GONET_PURE_PYTHON=1).

`make test` runs the suite once in each; these tests make sure each run really
exercised the build it claims to.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

import gonet
from gonet._build import BUILD_RECORD, COMPILED_MODULES


def _pure_requested() -> bool:
    return os.environ.get("GONET_PURE_PYTHON", "0") not in ("", "0")


def test_build_matches_the_request() -> None:
    files = {name: importlib.import_module(name).__file__ or "" for name in COMPILED_MODULES}
    if _pure_requested():
        assert gonet.COMPILED is False
        assert all(f.endswith(".py") for f in files.values()), files
        return
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.fail("no C compiler: this run cannot test the compiled build")  # pragma: no cover
    assert gonet.COMPILED, f"expected the compiled hot path: {gonet.BUILD}"
    assert all(not f.endswith(".py") for f in files.values()), files


def test_all_or_nothing() -> None:
    # The compiled modules share C types: a process uses all of them or none.
    kinds = {importlib.import_module(n).__file__.endswith(".py") for n in COMPILED_MODULES}  # type: ignore[union-attr]
    assert len(kinds) == 1


def test_pure_python_switch_in_a_fresh_process() -> None:
    code = ("import gonet, gonet._runtime.g as g; "
            "print(gonet.COMPILED, g.__file__.endswith('.py'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "GONET_PURE_PYTHON": "1"}, check=True).stdout
    assert out.split() == ["False", "True"]


# --- staleness: checked in an in-place checkout only, by content -------------------------------

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_IGNORE_BUILD = shutil.ignore_patterns("*.so", "*.c", "__pycache__", BUILD_RECORD, "*.egg-info")


def _import_gonet(pythonpath: str, cwd: str, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GONET_PURE_PYTHON"}
    env["PYTHONPATH"] = pythonpath
    code = "import gonet; print(gonet.COMPILED, gonet.__file__)"
    return subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=cwd, env=env)


def _copy_checkout(dest: str) -> str:
    """A copy of this checkout's in-place build (src/ with its extensions, and setup.py)."""
    src = os.path.join(REPO, "src")
    assert os.path.exists(os.path.join(src, "gonet", BUILD_RECORD)), \
        "no in-place build: run `make build` (make test does)"
    os.makedirs(dest)
    shutil.copy(os.path.join(REPO, "setup.py"), dest)
    shutil.copytree(src, os.path.join(dest, "src"), ignore=shutil.ignore_patterns("__pycache__"))
    return os.path.join(dest, "src")


def test_in_place_build_survives_touched_sources(tmp_path: Path) -> None:
    # git checkout, an editor's save without changes: newer mtime, same content.
    src = _copy_checkout(str(tmp_path / "checkout"))
    future = time.time() + 3600
    for name in COMPILED_MODULES:
        base = os.path.join(src, *name.split("."))
        os.utime(base + ".py", (future, future))
        os.utime(base + ".pxd", (future, future))
    r = _import_gonet(src, str(tmp_path), "-W", "error")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", os.path.join(src, "gonet", "__init__.py")]


@pytest.mark.parametrize("suffix", [".py", ".pxd"])
def test_in_place_build_with_edited_source_warns_and_runs_plain(tmp_path: Path, suffix: str) -> None:
    src = _copy_checkout(str(tmp_path / "checkout"))
    with open(os.path.join(src, "gonet", "_runtime", "g" + suffix), "a") as f:
        f.write("\n# edited after the build\n")
    r = _import_gonet(src, str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "False"
    assert "RuntimeWarning: gonet: using the plain-Python modules: " \
           "gonet._runtime.g: g.py or g.pxd changed since its build (stale)" in r.stderr, r.stderr


def test_in_place_build_without_a_record_is_stale(tmp_path: Path) -> None:
    src = _copy_checkout(str(tmp_path / "checkout"))
    os.remove(os.path.join(src, "gonet", BUILD_RECORD))
    r = _import_gonet(src, str(tmp_path))
    assert r.stdout.split()[0] == "False"
    assert f"the build has no readable {BUILD_RECORD} (stale)" in r.stderr, r.stderr


def test_installed_package_is_not_checked_for_staleness(tmp_path: Path) -> None:
    # An installed wheel: no setup.py beside it, and pip wrote each .py after its .so.
    site = tmp_path / "site-packages"
    shutil.copytree(os.path.join(REPO, "src", "gonet"), site / "gonet",
                    ignore=shutil.ignore_patterns("__pycache__"))
    future = time.time() + 3600
    for name in COMPILED_MODULES:
        os.utime(os.path.join(site, *name.split(".")) + ".py", (future, future))
    r = _import_gonet(str(site), str(tmp_path), "-W", "error")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", str(site / "gonet" / "__init__.py")]


# --- a regular (non-editable) install into a fresh venv -----------------------------------------

def _check_installed(python: str, cwd: str) -> None:
    code = ("import gonet, gonet._runtime.g as g; assert gonet.COMPILED, gonet.BUILD; "
            "print(gonet.__file__, g.__file__)")
    env = {k: v for k, v in os.environ.items() if k not in ("GONET_PURE_PYTHON", "PYTHONPATH")}
    r = subprocess.run([python, "-W", "error", "-c", code], capture_output=True, text=True,
                       timeout=60, cwd=cwd, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr == ""
    init, g = r.stdout.split()
    venv = os.path.dirname(os.path.dirname(python))
    assert init.startswith(venv) and "site-packages" in init, init
    assert not g.endswith(".py"), g


def _pip_install(python: str, target: str) -> None:
    # The build must not see this run's GONET_PURE_PYTHON (setup.py would compile nothing).
    env = {k: v for k, v in os.environ.items() if k not in ("GONET_PURE_PYTHON", "PYTHONPATH")}
    # A bound for a hang, not a speed check: compiling the hot path takes about two
    # minutes on an idle 2-core machine and over four on a loaded one.
    r = subprocess.run([python, "-m", "pip", "install", "-v", target],
                       capture_output=True, text=True, timeout=600, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert "SetuptoolsDeprecationWarning" not in out, out[-4000:]
    assert "gonet: building the compiled hot path failed" not in out, out[-4000:]


@pytest.mark.timeout(900)
def test_regular_pip_install_runs_the_compiled_build(tmp_path: Path) -> None:
    # A clean copy of the sources, so pip's in-tree build leaves this checkout alone.
    repo = tmp_path / "repo"
    shutil.copytree(os.path.join(REPO, "src"), repo / "src", ignore=_IGNORE_BUILD)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(os.path.join(REPO, name), repo)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    _pip_install(python, str(repo))
    _check_installed(python, str(elsewhere))

    # An sdist carries what a build from it needs: the .pxd beside each compiled .py (the
    # wheel built from it takes the same build_ext path as the install above).
    dist = tmp_path / "dist"
    env = {k: v for k, v in os.environ.items() if k != "GONET_PURE_PYTHON"}
    subprocess.run([sys.executable, "setup.py", "-q", "sdist", "-d", str(dist)], cwd=repo,
                   check=True, capture_output=True, timeout=120, env=env)
    (sdist,) = dist.iterdir()
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for name in COMPILED_MODULES:
        base = "src/" + name.replace(".", "/")
        assert {base + ".py", base + ".pxd"} <= names, sorted(names)
    assert "setup.py" in names
