"""gonet benchmark runner: gonet against its peers, side by side.

Run ``python bench/run.py --help`` (or ``python -m gonet bench``, which loads this
file by path and calls :func:`main`).  Each (workload, round, server) starts the
server fresh, pinned to CPU 0, and drives it with the native load generator
(``bench/loadgen.c``) pinned to CPU 1; rounds are interleaved across servers
(A B C … A B C …).  The server's user/system CPU over the measured window comes
from ``/proc/PID/stat``, its memory from ``/proc/PID/status``.  Results:
``bench/results/<name>.json``, a Markdown table and a PNG chart.
"""

import argparse
import contextlib
import datetime as _dt
import json
import math
import os
import platform
import resource
import selectors
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BUILD = BENCH / "build"
SERVERS_DIR = BENCH / "servers"
RESULTS_DIR = BENCH / "results"
LOADGEN_SRC = BENCH / "loadgen.c"
LOADGEN_BIN = BUILD / "loadgen"
GO_SRC = SERVERS_DIR / "go_echo" / "main.go"
GO_BIN = BUILD / "go_echo"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVER_CPU, LOAD_CPU = "0", "1"

Json = dict[str, Any]
DASH, TIMES = "\N{EN DASH}", "\N{MULTIPLICATION SIGN}"


class BenchError(Exception):
    """A run that failed; recorded and reported, never fatal to the suite."""


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    kind: str  # "echo", "idle" or "http"
    conns: int = 50
    size: int = 64
    depth: int = 1
    idle_n: int = 0


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class ServerSpec:
    name: str
    description: str
    kind: str  # "python" or "go"
    script: str = ""
    args: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()  # Python modules the server needs
    only: tuple[str, ...] = ()  # run in these workloads only (empty: all but http)
    # Extra arguments that make the server speak HTTP for the wrk workload; None: it
    # cannot.  The HTTP issue sets these (e.g. ("--http",)) as the servers learn HTTP.
    http_args: tuple[str, ...] | None = None

    def runs(self, w: Workload) -> bool:
        if w.kind == "http":
            return self.http_args is not None
        return not self.only or w.name in self.only


SERVERS: tuple[ServerSpec, ...] = (
    ServerSpec("gonet", "gonet, goroutine per conn", "python", "gonet_server.py",
               modules=("gonet",)),
    ServerSpec("uvloop_protocol", "uvloop, asyncio.Protocol callbacks", "python",
               "asyncio_server.py", ("--loop", "uvloop", "--api", "protocol"), ("uvloop",)),
    ServerSpec("uvloop_streams", "uvloop, asyncio streams", "python", "asyncio_server.py",
               ("--loop", "uvloop", "--api", "streams"), ("uvloop",)),
    ServerSpec("asyncio_protocol", "asyncio, Protocol callbacks", "python", "asyncio_server.py",
               ("--loop", "asyncio", "--api", "protocol")),
    ServerSpec("asyncio_streams", "asyncio, streams", "python", "asyncio_server.py",
               ("--loop", "asyncio", "--api", "streams")),
    ServerSpec("gevent", "gevent StreamServer", "python", "gevent_server.py",
               modules=("gevent",)),
    ServerSpec("threading", "socketserver.ThreadingTCPServer", "python",
               "threading_server.py"),
    ServerSpec("go", "Go net, GOMAXPROCS=1, 4 KiB buffer", "go"),
    # Go with a 64 KiB buffer, the size gonet's handler reads: the fair throughput peer.
    ServerSpec("go_64k", "Go net, GOMAXPROCS=1, 64 KiB buffer", "go", args=("--bufsize", "65536"),
               only=("echo16k_c50",)),
)
SERVER_NAMES = tuple(s.name for s in SERVERS)


# --------------------------------------------------------------------------- workload table


def make_workloads(idle_n: int, idle_max_n: int, idle_active: int) -> dict[str, Workload]:
    w = [
        Workload("echo64_c50", "echo 64 B, 50 connections", "echo", 50, 64),
        Workload("echo64_c1000", "echo 64 B, 1,000 connections", "echo", 1000, 64),
        Workload("echo16k_c50", "echo 16 KiB, 50 connections", "echo", 50, 16384),
    ]
    if idle_n > 0:
        w.append(Workload("idle", f"{idle_n:,} idle + {idle_active} active connections",
                          "idle", idle_active, 64, idle_n=idle_n))
    if idle_max_n > 0 and idle_max_n != idle_n:
        w.append(Workload("idle_max", f"{idle_max_n:,} idle (largest N) + {idle_active} active",
                          "idle", idle_active, 64, idle_n=idle_max_n))
    # Hook for the HTTP issue: wrk, keep-alive hello world, against servers with http=True.
    w.append(Workload("http", "HTTP hello world, keep-alive (wrk)", "http", 50))
    return {x.name: x for x in w}


DEFAULT_WORKLOADS = ("echo64_c50", "echo64_c1000", "echo16k_c50", "idle", "idle_max")


# --------------------------------------------------------------------------- tools


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


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


def ensure_go_server(allow_install: bool) -> tuple[Path | None, str]:
    """Build bench/build/go_echo; installs golang-go when missing. -> (binary, why-not)."""
    if not shutil.which("go") and not apt_install(["golang-go"], allow_install):
        return None, "no Go toolchain (apt-get install golang-go failed or not allowed)"
    go = shutil.which("go")
    if not go:
        return None, "no Go toolchain"
    if _stale(GO_BIN, GO_SRC):
        BUILD.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOCACHE": str(BUILD / "gocache"), "GOFLAGS": "",
               "GO111MODULE": "off", "GOPATH": str(BUILD / "gopath")}
        r = subprocess.run([go, "build", "-o", str(GO_BIN), "main.go"], cwd=GO_SRC.parent,
                           env=env, capture_output=True, text=True, timeout=600, check=False)
        if r.returncode != 0:
            return None, f"go build failed: {r.stderr.strip()[-300:]}"
    return GO_BIN, ""


def ensure_wrk(allow_install: bool) -> str | None:
    if shutil.which("wrk") or apt_install(["wrk"], allow_install):
        return shutil.which("wrk")
    return None


# --------------------------------------------------------------------------- /proc


def proc_cpu_ticks(pid: int) -> tuple[int, int]:
    """(utime, stime) in clock ticks for the whole process (all threads)."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]), int(fields[12])


def cpu_stat() -> dict[str, list[int]]:
    """Per-CPU jiffies from /proc/stat: user nice system idle iowait irq softirq steal."""
    out: dict[str, list[int]] = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3:4].isdigit():
                name, *vals = line.split()
                out[name] = [int(v) for v in vals[:8]]
    return out


def other_load(a: dict[str, list[int]], b: dict[str, list[int]], cpu: str, own_ticks: float,
               wall: float) -> float:
    """% of `cpu` that went to anything but our process between two samples.

    Busy = everything but idle and iowait. The softirq time of loopback TCP is charged
    to the process that was running (it is in its stime), so it counts as ours."""
    if f"cpu{cpu}" not in a or f"cpu{cpu}" not in b:
        return 0.0
    d = [y - x for x, y in zip(a[f"cpu{cpu}"], b[f"cpu{cpu}"], strict=True)]
    busy = sum(d) - d[3] - d[4]
    return max(0.0, busy - own_ticks) / (wall * CLK_TCK) * 100


NOISE_PCT = 10.0  # other processes above this share of either CPU mark a run as disturbed


def proc_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def nofile_limits() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    inf = resource.RLIM_INFINITY
    return (soft if soft != inf else 1 << 20), (hard if hard != inf else 1 << 20)


def read_int(path: str, default: int = 0) -> int:
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


# --------------------------------------------------------------------------- processes


class LineReader:
    """Reads lines from a child's pipe with a deadline (no thread)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.fd = proc.stdout.fileno()
        self.buf = b""
        self.eof = False
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.fd, selectors.EVENT_READ)

    def readline(self, deadline: float) -> str | None:
        """Next line, or None at EOF or when the deadline passes."""
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl], self.buf[nl + 1 :]
                return line.decode(errors="replace")
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(min(left, 1.0)):
                if time.monotonic() >= deadline:
                    return None
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
            self.buf += chunk

    def close(self) -> None:
        self.sel.close()


def stop_process(proc: subprocess.Popen[Any], grace: float = 3.0, close: bool = True) -> None:
    """Stop a child we started: SIGTERM, then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(10)
    if not close:
        return
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


@dataclass
class Runner:
    """Everything that stays fixed for one invocation of the suite."""

    python: str
    loadgen: Path
    pin: bool
    warmup: float
    seconds: float
    busy_poll: bool = False
    wrk: str = ""
    go_bin: Path | None = None
    gonet_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path = BUILD / "logs"
    on_progress: Callable[[str], None] = lambda _s: None

    def pinned(self, cpu: str, argv: list[str]) -> list[str]:
        return ["taskset", "-c", cpu, *argv] if self.pin else argv

    # ---- servers
    def server_argv(self, spec: ServerSpec) -> list[str]:
        if spec.kind == "go":
            assert self.go_bin is not None
            return [str(self.go_bin), *spec.args, "--host", "127.0.0.1", "--port", "0"]
        script = SERVERS_DIR / spec.script
        return [self.python, str(script), *spec.args, "--host", "127.0.0.1", "--port", "0"]

    @contextlib.contextmanager
    def server(self, spec: ServerSpec, tag: str, extra: tuple[str, ...] = ()
               ) -> Iterator[tuple[int, int]]:
        """Start `spec` fresh; yields (pid, port); stops it afterwards."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        logpath = self.log_dir / f"{tag}.log"
        env = dict(os.environ)
        if spec.kind == "go":
            env["GOMAXPROCS"] = "1"
        if spec.name == "gonet":
            env.update(self.gonet_env)
        with open(logpath, "wb") as logf:
            proc = subprocess.Popen(self.pinned(SERVER_CPU, [*self.server_argv(spec), *extra]),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=logf, env=env, start_new_session=True)
        reader = LineReader(proc)
        drain: threading.Thread | None = None
        try:
            port = 0
            deadline = time.monotonic() + 30
            while (line := reader.readline(deadline)) is not None:
                if line.startswith("READY"):
                    port = int(line.split()[1])
                    break
            if not port:
                proc.poll()
                tail = logpath.read_text(errors="replace").strip().splitlines()[-5:]
                raise BenchError(f"{spec.name} did not print READY (exit {proc.returncode}): "
                                 + " | ".join(tail))
            # Drain anything else the server prints, so it can never block on stdout.
            drain = threading.Thread(target=_drain, args=(reader, logpath), daemon=True)
            drain.start()
            yield proc.pid, port
            if proc.poll() is not None:
                raise BenchError(f"{spec.name} exited during the run ({proc.returncode})")
        finally:
            # The drain thread owns the pipe until the server is gone: closing the fd
            # under it could hand the number (and the next server's READY) to it.
            stop_process(proc, close=False)
            if drain is not None:
                drain.join(10)
            if drain is None or not drain.is_alive():
                reader.close()
                if proc.stdout is not None:
                    proc.stdout.close()

    # ---- load generator
    def loadgen_argv(self, port: int, mode: str, conns: int, size: int, depth: int = 1,
                     duration: float | None = None, warmup: float | None = None,
                     extra: tuple[str, ...] = ()) -> list[str]:
        return self.pinned(LOAD_CPU, [
            str(self.loadgen), "--host", "127.0.0.1", "--port", str(port), "--mode", mode,
            "--conns", str(conns), "--size", str(size), "--depth", str(depth),
            "--duration", str(self.seconds if duration is None else duration),
            "--warmup", str(self.warmup if warmup is None else warmup),
            "--connect-timeout", str(connect_timeout(conns)), *extra])

    def echo(self, pid: int, port: int, conns: int, size: int, depth: int = 1) -> Json:
        """One measured echo run against server `pid`; adds the server-side figures."""
        argv = self.loadgen_argv(port, "echo", conns, size, depth,
                                 extra=("--busy-poll",) if self.busy_poll else ())
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        reader = LineReader(proc)
        deadline = (time.monotonic() + connect_timeout(conns) + self.warmup + self.seconds
                    + 30)
        cpu0 = cpu1 = (0, 0)
        st0: dict[str, list[int]] = {}
        st1: dict[str, list[int]] = {}
        t0 = t1 = 0.0
        result: Json | None = None
        try:
            while (line := reader.readline(deadline)) is not None:
                if line == "@start":
                    cpu0, st0, t0 = proc_cpu_ticks(pid), cpu_stat(), time.monotonic()
                elif line == "@end":
                    cpu1, st1, t1 = proc_cpu_ticks(pid), cpu_stat(), time.monotonic()
                elif line.startswith("@progress"):
                    parts = line.split()
                    self.on_progress(f"{_si(float(parts[2]))} rt/s")
                elif line.startswith("{"):
                    result = json.loads(line)
                    break
        finally:
            reader.close()
            stop_process(proc, grace=5, close=False)
            err = ""
            if result is None and proc.stderr is not None:
                with contextlib.suppress(OSError, ValueError):
                    err = proc.stderr.read().decode(errors="replace")
            stop_process(proc)
        if result is None:
            raise BenchError(f"load generator gave no result: {err.strip()[-300:]}")
        if not t1:
            raise BenchError("load generator never reached the measured window")
        rt = max(int(result["round_trips"]), 1)
        user_s = (cpu1[0] - cpu0[0]) / CLK_TCK
        sys_s = (cpu1[1] - cpu0[1]) / CLK_TCK
        wall = max(t1 - t0, 1e-9)
        lat = result["latency_us"]
        errors = result["errors"]
        n_err = sum(int(v) for k, v in errors.items() if not k.startswith("last_"))
        lg_ticks = (result["cpu"]["user_s"] + result["cpu"]["sys_s"]) * CLK_TCK
        other0 = other_load(st0, st1, SERVER_CPU, (user_s + sys_s) * CLK_TCK, wall)
        other1 = other_load(st0, st1, LOAD_CPU, lg_ticks, wall)
        return {
            "rps": result["rps"], "mib_s": result["bytes_per_s"] / 2**20,
            "p50": lat["p50"], "p99": lat["p99"], "p999": lat["p999"], "mean": lat["mean"],
            "round_trips": result["round_trips"],
            "user_us": user_s / rt * 1e6, "sys_us": sys_s / rt * 1e6,
            "cpu_us": (user_s + sys_s) / rt * 1e6,
            "server_cpu": (user_s + sys_s) / wall * 100,
            "loadgen_cpu": result["cpu"]["share"] * 100,
            "established": result["established"], "errors": n_err,
            "other_cpu": [round(other0, 1), round(other1, 1)] if self.pin else None,
            "noisy": self.pin and max(other0, other1) > NOISE_PCT,
            "cpu_stat_delta": {k: [y - x for x, y in zip(st0[k], st1[k], strict=True)]
                               for k in st0 if k in st1},
            "loadgen": result,
        }

    def open_idle(self, port: int, n: int, chunk: int) -> tuple[list[subprocess.Popen[bytes]],
                                                                  Json]:
        """Open `n` idle conns in processes of at most `chunk` conns each; wait for them."""
        procs: list[subprocess.Popen[bytes]] = []
        readers: list[LineReader] = []
        bound = connect_timeout(n) * 2 + 4 * (self.warmup + self.seconds) + 120
        sizes = [min(chunk, n - i) for i in range(0, n, chunk)]
        t_start = time.monotonic()
        for k in sizes:
            argv = self.loadgen_argv(port, "idle", k, 1, duration=bound, warmup=0,
                                     extra=("--stdin", "--connect-batch", "512"))
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            procs.append(p)
            readers.append(LineReader(p))
        agg: Json = {"idle_open": 0, "connect_errors": 0, "open_s": 0.0, "processes": len(procs)}
        deadline = time.monotonic() + connect_timeout(n) * 2 + 30
        for r in readers:
            got = False
            while (line := r.readline(deadline)) is not None:
                if line.startswith("@opened"):
                    info = json.loads(line.split(" ", 1)[1])
                    agg["idle_open"] += info["idle_open"]
                    agg["connect_errors"] += info["connect_errors"]
                    agg["open_s"] = max(agg["open_s"], info["open_s"])
                    got = True
                    break
                if line.startswith("{"):
                    break
            r.close()
            if not got:
                for p in procs:
                    stop_process(p)
                raise BenchError("idle load generator did not report its open conns")
        agg["open_wall_s"] = time.monotonic() - t_start
        return procs, agg

    @staticmethod
    def close_idle(procs: list[subprocess.Popen[bytes]]) -> int:
        """Release the idle conns; returns how many the server dropped while held."""
        dropped = 0
        for p in procs:
            if p.stdin:
                with contextlib.suppress(OSError):
                    p.stdin.close()
        for p in procs:
            try:
                out, _ = p.communicate(timeout=30)
                last = out.decode(errors="replace").strip().splitlines()[-1]
                dropped += int(json.loads(last)["errors"]["dropped"])
            except (subprocess.TimeoutExpired, IndexError, ValueError, KeyError):
                stop_process(p)
        return dropped


def _drain(reader: LineReader, logpath: Path) -> None:
    with contextlib.suppress(Exception), open(logpath, "a") as f:
        while (line := reader.readline(time.monotonic() + 3600)) is not None:
            f.write(line + "\n")


def connect_timeout(conns: int) -> float:
    return 20.0 + conns / 1000.0


def _si(x: float) -> str:
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.1f}{suffix}"
    return f"{x:.0f}"


# --------------------------------------------------------------------------- runs


def run_echo(r: Runner, spec: ServerSpec, w: Workload, tag: str) -> Json:
    with r.server(spec, tag) as (pid, port):
        rss0 = proc_rss_kib(pid)
        out = r.echo(pid, port, w.conns, w.size, w.depth)
        out["rss_kib_start"] = rss0
        out["rss_kib_end"] = proc_rss_kib(pid)
    return out


def run_idle(r: Runner, spec: ServerSpec, w: Workload, tag: str, fd_chunk: int) -> Json:
    with r.server(spec, tag) as (pid, port):
        before = r.echo(pid, port, w.conns, w.size)
        time.sleep(0.3)
        rss0 = proc_rss_kib(pid)
        r.on_progress(f"opening {w.idle_n:,} idle conns")
        procs, opened = r.open_idle(port, w.idle_n, fd_chunk)
        try:
            time.sleep(0.5)  # let the server finish whatever the pings started
            rss1 = proc_rss_kib(pid)
            fds = proc_fd_count(pid)
            r.on_progress(f"{opened['idle_open']:,} idle held; measuring active")
            during = r.echo(pid, port, w.conns, w.size)
            rss2 = proc_rss_kib(pid)
        finally:
            dropped = r.close_idle(procs)
    n_open = max(int(opened["idle_open"]), 1)
    return {
        "idle_requested": w.idle_n, "idle_open": opened["idle_open"],
        "idle_connect_errors": opened["connect_errors"], "idle_dropped": dropped,
        "open_s": opened["open_s"], "idle_processes": opened["processes"],
        "rss_kib_before_idle": rss0, "rss_kib_with_idle": rss1, "rss_kib_after_active": rss2,
        "rss_per_idle_kib": (rss1 - rss0) / n_open, "server_fds": fds,
        "p99_without": before["p99"], "p99_with": during["p99"],
        "p99_ratio": during["p99"] / before["p99"] if before["p99"] else math.nan,
        "rps_without": before["rps"], "rps_with": during["rps"],
        "user_us_with": during["user_us"], "sys_us_with": during["sys_us"],
        "loadgen_cpu": during["loadgen_cpu"],
        "noisy": before["noisy"] or during["noisy"],
        "errors": before["errors"] + during["errors"] + int(opened["connect_errors"]) + dropped,
        "active_without": before, "active_with": during,
    }


def parse_wrk(text: str) -> Json:
    """Requests/s and latency percentiles (µs) from `wrk --latency` output."""
    units = {"us": 1.0, "ms": 1e3, "s": 1e6}
    out: Json = {"errors": 0}
    in_dist = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Requests/sec:"):
            out["rps"] = float(line.split()[1])
        elif line.startswith("Latency Distribution"):
            in_dist = True
        elif in_dist and line[:3] in ("50%", "75%", "90%", "99%"):
            val = line.split()[1]
            num = val.rstrip("usm")
            out["p" + line[:2]] = float(num) * units[val[len(num):]]
        elif line.startswith("Socket errors:"):
            out["errors"] += sum(int(x.strip(" ,")) for x in line.split()[3::2])
        elif line.startswith("Non-2xx"):
            out["errors"] += int(line.split()[-1])
        elif "requests in" in line:
            out["requests"] = int(line.split()[0])
    if "rps" not in out:
        raise BenchError(f"could not parse wrk output: {text.strip()[-200:]}")
    return out


def run_http(r: Runner, spec: ServerSpec, w: Workload, tag: str) -> Json:
    """wrk, keep-alive, against a server started with its `http_args` (HTTP issue hook)."""
    assert spec.http_args is not None and r.wrk
    with r.server(spec, tag, spec.http_args) as (pid, port):
        url = f"http://127.0.0.1:{port}/"
        base = r.pinned(LOAD_CPU, [r.wrk, "-t1", f"-c{w.conns}", "--latency"])
        if r.warmup > 0:
            subprocess.run([*base, f"-d{max(1, round(r.warmup))}s", url], capture_output=True,
                           timeout=r.warmup + 60, check=False)
        secs = max(1, round(r.seconds))
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu0, t0 = proc_cpu_ticks(pid), time.monotonic()
        res = subprocess.run([*base, f"-d{secs}s", url], capture_output=True, text=True,
                             timeout=secs + 60, check=False)
        cpu1, t1 = proc_cpu_ticks(pid), time.monotonic()
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = parse_wrk(res.stdout)
    n = max(int(out.get("requests", 0)) or int(out["rps"] * secs), 1)
    user_s, sys_s = (cpu1[0] - cpu0[0]) / CLK_TCK, (cpu1[1] - cpu0[1]) / CLK_TCK
    wall = max(t1 - t0, 1e-9)
    lg = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    out.update(user_us=user_s / n * 1e6, sys_us=sys_s / n * 1e6,
               server_cpu=(user_s + sys_s) / wall * 100, loadgen_cpu=lg / wall * 100,
               p999=None, wrk=res.stdout)
    return out


# --------------------------------------------------------------------------- reporting


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    fmt: str  # "si", "f0", "f1", "f2", "f3", "pct"
    ratio: bool = True  # also shown as a ratio to the baseline


ECHO_METRICS = (
    Metric("rps", "round trips/s", "si"),
    Metric("p50", "p50 µs", "f0"),
    Metric("p99", "p99 µs", "f0"),
    Metric("p999", "p99.9 µs", "f0"),
    Metric("user_us", "user µs/rt", "f2"),
    Metric("sys_us", "sys µs/rt", "f2"),
    Metric("server_cpu", "server CPU %", "pct", ratio=False),
    Metric("loadgen_cpu", "loadgen CPU %", "pct", ratio=False),
)
THROUGHPUT_METRICS = (Metric("mib_s", "MiB/s each way", "f0"), *ECHO_METRICS)
IDLE_METRICS = (
    Metric("idle_open", "idle conns held", "f0", ratio=False),
    Metric("open_s", "time to open s", "f2"),
    Metric("rss_per_idle_kib", "RSS / idle conn KiB", "f2"),
    Metric("p99_without", "active p99 µs, no idle", "f0"),
    Metric("p99_with", "active p99 µs, with idle", "f0"),
    Metric("p99_ratio", "p99 with ÷ without", "f2"),
    Metric("rps_with", "active rt/s, with idle", "si"),
    Metric("user_us_with", "user µs/rt, with idle", "f2"),
)


HTTP_METRICS = (
    Metric("rps", "requests/s", "si"),
    Metric("p50", "p50 µs", "f0"),
    Metric("p99", "p99 µs", "f0"),
    Metric("user_us", "user µs/req", "f2"),
    Metric("sys_us", "sys µs/req", "f2"),
    Metric("server_cpu", "server CPU %", "pct", ratio=False),
    Metric("loadgen_cpu", "wrk CPU %", "pct", ratio=False),
)


def metrics_for(w: Workload) -> tuple[Metric, ...]:
    if w.kind == "idle":
        return IDLE_METRICS
    if w.kind == "http":
        return HTTP_METRICS
    return THROUGHPUT_METRICS if w.size >= 4096 else ECHO_METRICS


def fmt_value(x: float, fmt: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return DASH
    if fmt == "si":
        return _si(x)
    if fmt == "pct":
        return f"{x:.0f}%"
    return f"{x:,.{int(fmt[1])}f}"


def summarize(runs: list[Json], metrics: tuple[Metric, ...]) -> dict[str, Json]:
    out: dict[str, Json] = {}
    for m in metrics:
        vals = [float(r[m.key]) for r in runs if r.get(m.key) is not None]
        vals = [v for v in vals if not math.isnan(v)]
        if vals:
            out[m.key] = {"median": statistics.median(vals), "min": min(vals),
                          "max": max(vals), "n": len(vals)}
    return out


def ratio(a: Json | None, b: Json | None) -> float | None:
    if not a or not b or not b["median"]:
        return None
    return float(a["median"]) / float(b["median"])


def cell(stat: Json | None, fmt: str, rat: float | None) -> str:
    if not stat:
        return DASH
    s = fmt_value(stat["median"], fmt)
    if stat["n"] > 1 and stat["min"] != stat["max"]:
        lo, hi = fmt_value(stat["min"], fmt), fmt_value(stat["max"], fmt)
        if fmt == "pct":
            lo = lo.rstrip("%")
        s += f" ({lo}{DASH}{hi})"
    if rat is not None:
        s += f" {rat:.2f}{TIMES}"
    return s


def markdown_table(wres: Json, w: Workload, baseline: str | None) -> str:
    metrics = metrics_for(w)
    head = ["server", *[m.label for m in metrics], "errors"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    summ: dict[str, dict[str, Json]] = wres["summary"]
    base = summ.get(baseline or "", {})
    noisy = {r["server"] for r in wres["runs"] if r.get("ok") and r.get("noisy")}
    for name, s in summ.items():
        row = [f"**{name}**" if name == baseline else name]
        if name in noisy:
            row[0] += " \N{WARNING SIGN}"
        for m in metrics:
            rat = ratio(s.get(m.key), base.get(m.key)) if base and m.ratio else None
            row.append(cell(s.get(m.key), m.fmt, rat))
        errs = sum(int(r.get("errors", 0)) for r in wres["runs"]
                   if r["server"] == name and r.get("ok"))
        failed = sum(1 for r in wres["runs"] if r["server"] == name and not r.get("ok"))
        row.append(str(errs) + (f", {failed} failed" if failed else ""))
        lines.append("| " + " | ".join(row) + " |")
    if noisy:
        lines += ["", f"\N{WARNING SIGN} other processes used over {NOISE_PCT:.0f}% of CPU "
                  f"{SERVER_CPU} or {LOAD_CPU} during at least one of this server's rounds: "
                  "its figures are disturbed (see `other_cpu` in the JSON)."]
    return "\n".join(lines)


def summary_line(wres: Json, w: Workload, baseline: str | None) -> str:
    summ: dict[str, dict[str, Json]] = wres["summary"]
    if not summ:
        return f"{w.name}: no successful runs"
    key = "rss_per_idle_kib" if w.kind == "idle" else "rps"
    unit = "KiB/idle conn" if w.kind == "idle" else "rt/s"
    ranked = sorted(((s[key]["median"], n) for n, s in summ.items() if key in s),
                    reverse=(w.kind != "idle"))
    base = summ.get(baseline or "", {}).get(key)
    parts = []
    for v, n in ranked:
        txt = f"{n} {f'{v:.2f}' if w.kind == 'idle' else _si(v)}"
        if base and n != baseline:
            txt += f" ({v / base['median']:.2f}{TIMES})"
        parts.append(txt)
    extra = ""
    if w.kind == "echo" and baseline in summ and "user_us" in summ[baseline]:
        extra = f"; {baseline} user {summ[baseline]['user_us']['median']:.2f} µs/rt"
    if w.kind == "idle" and baseline in summ and "p99_ratio" in summ[baseline]:
        extra = f"; {baseline} p99 with/without idle {summ[baseline]['p99_ratio']['median']:.2f}"
    sep = " < " if w.kind == "idle" else " > "
    return f"{w.name} [{unit}]: " + sep.join(parts) + extra


def write_chart(results: Json, workloads: list[Workload], path: Path) -> str | None:
    echo = [w for w in workloads if w.kind == "echo" and results["workloads"].get(w.name)]
    if not echo:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib missing (pip install matplotlib): no chart"
    fig, axes = plt.subplots(2, len(echo), figsize=(4.2 * len(echo), 7.5), squeeze=False)
    for col, w in enumerate(echo):
        summ = results["workloads"][w.name]["summary"]
        names = list(summ)
        xs = list(range(len(names)))
        colors = ["#d62728" if n == results["meta"]["baseline"] else "#1f77b4" for n in names]
        rps = [summ[n].get("rps", {"median": 0, "min": 0, "max": 0}) for n in names]
        med = [s["median"] / 1e3 for s in rps]
        err = [[(s["median"] - s["min"]) / 1e3 for s in rps],
               [(s["max"] - s["median"]) / 1e3 for s in rps]]
        ax = axes[0][col]
        bars = ax.bar(xs, med, yerr=err, color=colors, capsize=3)
        base = summ.get(results["meta"]["baseline"] or "", {}).get("rps")
        if base and base["median"]:
            labels = [f"{s['median'] / base['median']:.2f}{TIMES}" for s in rps]
            ax.bar_label(bars, labels, fontsize=7, padding=2)
            ax.margins(y=0.12)
        ax.set_title(w.title, fontsize=10)
        ax.set_ylabel("round trips/s (thousands)" if col == 0 else "")
        ax.set_xticks(xs, names, rotation=45, ha="right", fontsize=8)
        ax2 = axes[1][col]
        user = [summ[n].get("user_us", {"median": 0})["median"] for n in names]
        sysv = [summ[n].get("sys_us", {"median": 0})["median"] for n in names]
        ax2.bar(xs, user, color=colors, label="user")
        ax2.bar(xs, sysv, bottom=user, color="#bbbbbb", label="sys")
        ax2.set_ylabel("server CPU µs per round trip" if col == 0 else "")
        ax2.set_xticks(xs, names, rotation=45, ha="right", fontsize=8)
        if col == 0:
            ax2.legend(fontsize=8)
    meta = results["meta"]
    fig.suptitle(f"gonet vs peers — {meta['rounds']} round(s) {TIMES} {meta['seconds']} s, "
                 f"median with min{DASH}max; server on CPU 0, load on CPU 1", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def write_markdown(results: Json, workloads: list[Workload], path: Path,
                   chart: Path | None, lines: list[str]) -> None:
    meta = results["meta"]
    base = meta["baseline"]
    out = [
        "# gonet benchmark results", "",
        f"Command: `{meta['command']}`  ",
        f"Date: {meta['date']} · {meta['rounds']} round(s) {TIMES} {meta['seconds']} s measured "
        f"after {meta['warmup']} s warmup · server pinned to CPU {SERVER_CPU}, load generator "
        f"to CPU {LOAD_CPU}" + ("" if meta["pinned"] else " (**not pinned**: taskset/2 CPUs "
                                "unavailable)"), "",
        f"Machine: {meta['cpu']} {TIMES} {meta['cpus']} CPUs, Linux {meta['kernel']}, "
        f"Python {meta['python']}, {meta['go'] or 'no Go'}  ",
        f"Limits: RLIMIT_NOFILE soft {meta['nofile_soft']:,} / hard {meta['nofile_hard']:,} "
        f"(largest idle N = {meta['idle_max_n']:,}), somaxconn {meta['somaxconn']:,}", "",
        f"Each cell: median over rounds, (min{DASH}max) when they differ, then the ratio to "
        f"**{base}**'s median in the same run (this server ÷ {base})." if base else
        f"Each cell: median over rounds, (min{DASH}max) when they differ. (No baseline server.)",
        "",
    ]
    if meta["skipped"]:
        out += ["Skipped: " + "; ".join(f"{k} ({v})" for k, v in meta["skipped"].items()), ""]
    for w in workloads:
        wres = results["workloads"].get(w.name)
        if not wres:
            continue
        out += [f"## {w.name} — {w.title}", "", markdown_table(wres, w, base), ""]
    out += ["## Summary", "", *[f"- {s}" for s in lines], ""]
    if chart is not None:
        out += [f"![echo benchmark]({chart.name})", ""]
    path.write_text("\n".join(out))


# --------------------------------------------------------------------------- progress


class Progress:
    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()
        self.t0 = time.monotonic()
        self.prefix = ""

    def begin(self, text: str) -> None:
        elapsed = time.monotonic() - self.t0
        eta = ""
        if self.done:
            left = elapsed / self.done * (self.total - self.done)
            eta = f" eta {int(left // 60)}m{int(left % 60):02d}s"
        self.prefix = f"[{self.done + 1:>3}/{self.total}{eta}] {text}"
        self.live("starting")

    def live(self, text: str) -> None:
        if self.tty:
            line = f"{self.prefix} … {text}"[:150]
            self.stream.write("\r\x1b[2K" + line)
            self.stream.flush()

    def end(self, text: str) -> None:
        self.done += 1
        if self.tty:
            self.stream.write("\r\x1b[2K")
        self.stream.write(f"{self.prefix}: {text}\n")
        self.stream.flush()


def describe(out: Json, w: Workload) -> str:
    if w.kind == "http":
        return (f"{_si(out['rps'])} req/s p99 {out.get('p99', 0):.0f} µs user "
                f"{out['user_us']:.2f} sys {out['sys_us']:.2f} µs/req")
    if w.kind == "idle":
        return (f"{out['idle_open']:,} idle open in {out['open_s']:.2f}s, "
                f"{out['rss_per_idle_kib']:.2f} KiB/conn, p99 {out['p99_without']:.0f}→"
                f"{out['p99_with']:.0f} µs" + (" [BUSY MACHINE]" if out.get("noisy") else ""))
    noise = ""
    if out.get("noisy"):
        noise = f" [BUSY MACHINE: others used {out['other_cpu'][0]:.0f}%/{out['other_cpu'][1]:.0f}%"
        noise += f" of CPU {SERVER_CPU}/{LOAD_CPU}]"
    return (f"{_si(out['rps'])} rt/s p99 {out['p99']:.0f} µs user {out['user_us']:.2f} "
            f"sys {out['sys_us']:.2f} µs/rt loadgen {out['loadgen_cpu']:.0f}%"
            + (f" errors {out['errors']}" if out["errors"] else "") + noise)


# --------------------------------------------------------------------------- main


def check_python_server(python: str, spec: ServerSpec) -> tuple[str | None, dict[str, str]]:
    """-> (why it cannot run or None, extra env). gonet falls back to the repo's src/."""
    if not spec.modules:
        return None, {}
    code = "import " + ", ".join(spec.modules)
    if spec.name == "gonet":
        code += "; gonet.run, gonet.listen"
    envs: list[dict[str, str]] = [{}]
    if spec.name == "gonet":
        pp = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
        envs.append({"PYTHONPATH": pp})
    why = ""
    for extra in envs:
        r = subprocess.run([python, "-c", code], env={**os.environ, **extra},
                           capture_output=True, text=True, timeout=60, check=False)
        if r.returncode == 0:
            return None, extra
        why = (r.stderr.strip().splitlines() or ["import failed"])[-1]
    hint = "" if spec.name == "gonet" else " (pip install -e '.[bench]')"
    return f"{why}{hint}", {}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="gonet bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, help="rounds per workload (default 3; quick 1)")
    p.add_argument("--seconds", type=float, help="measured seconds per run (default 5; quick 1)")
    p.add_argument("--warmup", type=float, help="warmup seconds per run (default 1; quick 0.3)")
    p.add_argument("--servers", help=f"comma list, subset of: {', '.join(SERVER_NAMES)}")
    p.add_argument("--workloads", help="comma list, subset of: echo64_c50, echo64_c1000, "
                   "echo16k_c50, idle, idle_max, http (default: all but http)")
    p.add_argument("--idle-n", type=int, help="idle connections for 'idle' (default 10000; "
                   "quick 2000)")
    p.add_argument("--idle-max-n", type=int, help="idle connections for 'idle_max' (default: "
                   "min(100000, hard RLIMIT_NOFILE - 1000); 0 skips it)")
    p.add_argument("--idle-active", type=int, default=50, help="active conns in idle workloads")
    p.add_argument("--quick", action="store_true", help="short smoke run")
    p.add_argument("--name", help="results name: bench/results/<name>.json (default 'results', "
                   "quick: 'quick')")
    p.add_argument("--baseline", default="gonet", help="server the ratios refer to")
    p.add_argument("--python", default=sys.executable, help="interpreter for Python servers")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    p.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    p.add_argument("--no-install", action="store_true", help="never apt-get install")
    p.add_argument("--no-chart", action="store_true")
    p.add_argument("--retry-noisy", type=int, default=1, metavar="N",
                   help="run again, up to N times, a run that other processes disturbed "
                   f"(over {NOISE_PCT:.0f}%% of either CPU); default 1")
    p.add_argument("--busy-poll", action="store_true",
                   help="the echo load generator busy-polls (epoll timeout 0) while measuring, "
                   "so servers never pay to wake it; its CPU column then reads ~100%%")
    p.add_argument("--list", action="store_true", help="list servers and workloads and exit")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    quick = args.quick
    rounds = args.rounds or (1 if quick else 3)
    seconds = args.seconds or (1.0 if quick else 5.0)
    warmup = args.warmup if args.warmup is not None else (0.3 if quick else 1.0)
    soft, hard = nofile_limits()
    idle_n = args.idle_n if args.idle_n is not None else (2000 if quick else 10000)
    auto_max = max(0, min(100_000, hard - 1000))
    idle_max_n = args.idle_max_n if args.idle_max_n is not None else (0 if quick else auto_max)
    if idle_max_n > hard - 100:
        log(f"bench: --idle-max-n {idle_max_n:,} exceeds what one server process can hold "
            f"(hard RLIMIT_NOFILE {hard:,}); using {auto_max:,}")
        idle_max_n = auto_max
    name = args.name or ("quick" if quick else "results")
    all_w = make_workloads(idle_n, idle_max_n, args.idle_active)

    if args.list:
        for s in SERVERS:
            print(f"server   {s.name:18} {s.description}")
        for w in all_w.values():
            print(f"workload {w.name:18} {w.title}")
        return 0

    wanted_w = args.workloads.split(",") if args.workloads else list(DEFAULT_WORKLOADS)
    unknown = [x for x in wanted_w if x not in all_w and x not in DEFAULT_WORKLOADS]
    if unknown:
        log(f"bench: unknown workload(s): {', '.join(unknown)}")
        return 2
    workloads = [all_w[x] for x in wanted_w if x in all_w]
    wanted_s = args.servers.split(",") if args.servers else list(SERVER_NAMES)
    unknown = [x for x in wanted_s if x not in SERVER_NAMES]
    if unknown:
        log(f"bench: unknown server(s): {', '.join(unknown)}")
        return 2

    pin = not args.no_pin and bool(shutil.which("taskset")) and (os.cpu_count() or 1) >= 2
    if not args.no_pin and not pin:
        log("bench: taskset or a second CPU is missing; running unpinned")
    loadgen = ensure_loadgen()
    runner = Runner(python=args.python, loadgen=loadgen, pin=pin, warmup=warmup,
                    seconds=seconds, busy_poll=args.busy_poll)

    skipped: dict[str, str] = {}
    servers: list[ServerSpec] = []
    for spec in (s for s in SERVERS if s.name in wanted_s):
        if spec.kind == "go":
            runner.go_bin, why = ensure_go_server(not args.no_install)
            if runner.go_bin is None:
                skipped[spec.name] = why
                continue
        else:
            why_py, extra_env = check_python_server(args.python, spec)
            if why_py:
                skipped[spec.name] = why_py
                continue
            if spec.name == "gonet":
                runner.gonet_env = extra_env
        servers.append(spec)
    for k, v in skipped.items():
        log(f"bench: skipping {k}: {v}")
    if not servers:
        log("bench: no server can run")
        return 1
    baseline = args.baseline if args.baseline in {s.name for s in servers} else None
    if baseline is None:
        log(f"bench: baseline {args.baseline!r} is not running; ratios are omitted")

    if any(w.kind == "http" for w in workloads):
        if not any(s.http_args is not None for s in servers):
            log("bench: skipping http: no server speaks HTTP yet (lands with the HTTP issue)")
            workloads = [w for w in workloads if w.kind != "http"]
        elif not (wrk := ensure_wrk(not args.no_install)):
            log("bench: skipping http: wrk is missing and could not be installed")
            workloads = [w for w in workloads if w.kind != "http"]
        else:
            runner.wrk = wrk

    if pin:
        a = cpu_stat()
        time.sleep(0.5)
        busy = [other_load(a, cpu_stat(), c, 0, 0.5) for c in (SERVER_CPU, LOAD_CPU)]
        if max(busy) > NOISE_PCT:
            log(f"bench: warning: CPUs {SERVER_CPU}/{LOAD_CPU} are already {busy[0]:.0f}%/"
                f"{busy[1]:.0f}% busy with other work; figures will be disturbed")

    plan = [(w, rnd, s) for w in workloads for rnd in range(rounds) for s in servers
            if s.runs(w)]
    meta: Json = {
        "command": "python -m gonet bench " + " ".join(shlex.quote(a) for a in
                                                       (argv if argv is not None else
                                                        sys.argv[1:])),
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rounds": rounds, "seconds": seconds, "warmup": warmup, "pinned": pin,
        "busy_poll": args.busy_poll,
        "cpu": cpu_model(), "cpus": os.cpu_count(), "kernel": platform.release(),
        "python": platform.python_version(), "go": go_version(),
        "nofile_soft": soft, "nofile_hard": hard, "somaxconn": read_int(
            "/proc/sys/net/core/somaxconn"), "idle_n": idle_n, "idle_max_n": idle_max_n,
        "baseline": baseline, "servers": [s.name for s in servers], "skipped": skipped,
        "clk_tck": CLK_TCK, "gonet_pure_python": os.environ.get("GONET_PURE_PYTHON", ""),
    }
    results: Json = {"meta": meta, "workloads": {}}
    fd_chunk = max(100, hard - 200)
    prog = Progress(len(plan))
    runner.on_progress = prog.live
    broken: dict[str, str] = {}
    t_all = time.monotonic()
    try:
        for w, rnd, spec in plan:
            wres = results["workloads"].setdefault(
                w.name, {"workload": w.__dict__, "runs": [], "summary": {}})
            prog.begin(f"{w.name} r{rnd + 1}/{rounds} {spec.name}")
            if spec.name in broken:
                prog.end(f"skipped ({broken[spec.name]})")
                continue
            tag = f"{spec.name}-{w.name}-r{rnd + 1}"
            rec: Json = {"server": spec.name, "round": rnd + 1}
            for attempt in range(args.retry_noisy + 1):
                rec = {"server": spec.name, "round": rnd + 1, "attempt": attempt + 1}
                try:
                    if w.kind == "idle":
                        out = run_idle(runner, spec, w, tag, fd_chunk)
                    elif w.kind == "http":
                        out = run_http(runner, spec, w, tag)
                    else:
                        out = run_echo(runner, spec, w, tag)
                    rec.update(out, ok=True)
                except BenchError as e:
                    rec.update(ok=False, error=str(e))
                    prog.end(f"FAILED: {e}")
                    if "READY" in str(e):
                        broken[spec.name] = "did not start"
                    break
                if not out.get("noisy") or attempt == args.retry_noisy:
                    prog.end(describe(out, w) + (f" (attempt {attempt + 1})" if attempt else ""))
                    break
                prog.live(f"disturbed by other processes; again ({attempt + 1}/"
                          f"{args.retry_noisy})")
                time.sleep(2)
            wres["runs"].append(rec)
    except KeyboardInterrupt:
        log("\nbench: interrupted; writing what was measured")

    lines: list[str] = []
    for w in workloads:
        wres = results["workloads"].get(w.name)
        if not wres:
            continue
        by_server: dict[str, list[Json]] = {}
        for rec in wres["runs"]:
            if rec.get("ok"):
                by_server.setdefault(rec["server"], []).append(rec)
        wres["summary"] = {s.name: summarize(by_server[s.name], metrics_for(w))
                           for s in servers if s.name in by_server}
        base = wres["summary"].get(baseline or "", {})
        wres["ratios_to_baseline"] = {
            n: {k: ratio(v, base.get(k)) for k, v in s.items()} for n, s in
            wres["summary"].items()} if base else {}
        lines.append(summary_line(wres, w, baseline))
    meta["elapsed_s"] = round(time.monotonic() - t_all, 1)

    outdir: Path = args.results_dir
    outdir.mkdir(parents=True, exist_ok=True)
    default = name == "results"
    json_path = outdir / f"{name}.json"
    md_path = outdir / ("results.md" if default else f"{name}.md")
    png_path = outdir / ("echo.png" if default else f"{name}-echo.png")
    json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
    chart: Path | None = None
    if not args.no_chart:
        chart_err = write_chart(results, workloads, png_path)
        if chart_err:
            log(f"bench: {chart_err}")
        elif png_path.exists():
            chart = png_path
    write_markdown(results, workloads, md_path, chart, lines)

    print()
    for w in workloads:
        if w.name in results["workloads"]:
            print(f"## {w.name} — {w.title}")
            print(markdown_table(results["workloads"][w.name], w, baseline))
            print()
    print("Summary:")
    for line in lines:
        print("  " + line)
    print(f"\nwrote {json_path}, {md_path}" + (f", {chart}" if chart else "")
          + f" in {meta['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
