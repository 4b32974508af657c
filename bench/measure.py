"""measure: one measured run: start a server fresh and pinned, drive it, sample it.

:class:`Runner` holds what stays fixed for one invocation of the suite; it starts
a server (``READY <port>``), runs the native load generator against it and reads
the server's CPU from /proc on the ``@start``/``@end`` markers, and opens and
releases idle connections. Every server is warmed the same way before it is
measured (:func:`warm_up`, then :func:`settle`). :func:`run_echo` and
:func:`run_idle` are two kinds of workload built on it; ``httpload.py`` adds
``http``, and :func:`register_kind` any other (the extension point for TLS and
redis rows).
"""

import contextlib
import json
import math
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from procs import (
    CLK_TCK,
    LineReader,
    cpu_stat,
    nofile_limits,
    other_load,
    proc_cpu_ticks,
    proc_fd_count,
    proc_rss_kib,
    stop_process,
)
from report import CHART_KINDS, KIND_METRICS, Metric, si
from suite import (
    BUILD,
    LOAD_CPU,
    NOISE_PCT,
    SERVER_CPU,
    SERVERS_DIR,
    BenchError,
    Json,
    ServerSpec,
    Workload,
)


@dataclass
class Runner:
    """Everything that stays fixed for one invocation of the suite."""

    python: str
    loadgen: Path
    pin: bool
    warmup: float
    seconds: float
    busy_poll: bool = False
    loadgen_extra: tuple[str, ...] = ()  # echo runs: more load generator flags (--cipher)
    wrk: str = ""
    go_bins: dict[str, Path] = field(default_factory=dict)  # go_prog -> binary
    gonet_env: dict[str, str] = field(default_factory=dict)
    fill: dict[str, str] = field(default_factory=dict)  # {name} in args/cmd -> value
    log_dir: Path = BUILD / "logs"
    on_progress: Callable[[str], None] = lambda _s: None

    def pinned(self, cpu: str, argv: list[str]) -> list[str]:
        return ["taskset", "-c", cpu, *argv] if self.pin else argv

    # ---- servers
    def server_argv(self, spec: ServerSpec, port: int = 0) -> list[str]:
        """The server's command line; `port` is used by kind "cmd" only (others pick one)."""
        fill = {"python": self.python, "bin": str(Path(self.python).parent), "host": "127.0.0.1",
                "port": str(port), "servers": str(SERVERS_DIR), "backlog": str(somaxconn()),
                **self.fill}
        if spec.kind == "cmd":
            return [a.format(**fill) for a in spec.cmd]
        args = [a.format(**fill) for a in spec.args]
        if spec.kind == "go":
            return [str(self.go_bins[spec.go_prog]), *args, "--host", "127.0.0.1", "--port", "0"]
        script = SERVERS_DIR / spec.script
        return [self.python, str(script), *args, "--host", "127.0.0.1", "--port", "0"]

    @contextlib.contextmanager
    def server(self, spec: ServerSpec, tag: str, extra: tuple[str, ...] = ()
               ) -> Iterator[tuple[int, int]]:
        """Start `spec` fresh; yields (pid, port); stops it afterwards."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        logpath = self.log_dir / f"{tag}.log"
        env = dict(os.environ)
        if spec.kind == "go":
            env["GOMAXPROCS"] = "1"
        if "gonet" in spec.modules:
            env.update(self.gonet_env)
        cmd_port = free_port() if spec.kind == "cmd" else 0
        with open(logpath, "wb") as logf:
            proc = subprocess.Popen(self.pinned(SERVER_CPU, [*self.server_argv(spec, cmd_port),
                                                             *extra]),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=logf, env=env, start_new_session=True)
        reader = LineReader(proc)
        drain: threading.Thread | None = None
        try:
            port = 0
            deadline = time.monotonic() + 30
            if cmd_port:  # a command prints no READY: wait until its port accepts
                port = cmd_port if wait_accepting(proc, cmd_port, deadline) else 0
            while not port and (line := reader.readline(deadline)) is not None:
                if line.startswith("READY"):
                    port = int(line.split()[1])
                    break
            if not port:
                proc.poll()
                tail = logpath.read_text(errors="replace").strip().splitlines()[-5:]
                what = f"accept on port {cmd_port}" if cmd_port else "print READY"
                raise BenchError(f"{spec.name} did not start: did not {what} "
                                 f"(exit {proc.returncode}): "
                                 + " | ".join(tail))
            # Drain anything else the server prints, so it can never block on stdout.
            drain = threading.Thread(target=_drain, args=(reader, logpath), daemon=True)
            drain.start()
            if spec.warm != "none":
                warm_up(port, tls=spec.warm == "tls")
            settle(proc.pid)
            yield proc.pid, port
            if proc.poll() is not None:
                raise BenchError(f"{spec.name} exited during the run ({proc.returncode})")
        finally:
            # The drain thread owns the pipe until the server is gone: closing the fd
            # under it could hand the number (and the next server's READY) to it.
            stop_process(proc, close=False)
            # A master (gunicorn, granian) killed before its workers: end what is left of
            # the server's own process group (start_new_session made it; pgid = its pid).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
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
                                 extra=(*(("--busy-poll",) if self.busy_poll else ()),
                                        *self.loadgen_extra))
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
                    self.on_progress(f"{si(float(parts[2]))} rt/s")
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
        out: Json = {
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
        if result.get("cipher"):  # tls_loadgen: what the run measured ("TLSv1.3 TLS_AES_...")
            out["cipher"] = f"{result['version']} {result['cipher']}"
        return out

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


#: What the warm-up connection sends: an echo server returns it, an HTTP server answers it.
WARM_UP_REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
#: The server is idle once its CPU ticks stay unchanged this many samples in a row...
SETTLE_SAMPLES = 3
#: ... taken this far apart (s); it gets at most SETTLE_MAX_S to get there.
SETTLE_INTERVAL_S = 0.05
SETTLE_MAX_S = 3.0


def warm_up(port: int, timeout: float = 10.0, tls: bool = False) -> None:
    """Warm a fresh server the same way whatever it is: one connection, one exchange, closed.

    A server process starts cold in ways a measured window must not see, and
    not equally for every server: asyncio reads with ``recv(262144)``, and
    glibc serves each 256 KiB buffer with ``mmap``/``munmap`` until the first
    connection has closed (glibc then raises its mmap threshold), three extra
    syscalls per read that the idle workload — which runs on a server that
    has already served — never shows. So every server, ours included, first
    serves one connection to its end: send a request, read the echo (or the
    HTTP response, then EOF), close.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        s = raw
        if tls:  # a TLS server: the same exchange inside a TLS session (bench certificate)
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            s = ctx.wrap_socket(raw)
        s.sendall(WARM_UP_REQUEST)
        got = 0
        while got < len(WARM_UP_REQUEST):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += len(chunk)
        if got == 0:
            raise BenchError("the server closed the warm-up connection without answering")


def settle(pid: int) -> None:
    """Wait until the server is idle: its CPU ticks unchanged for SETTLE_SAMPLES samples."""
    deadline = time.monotonic() + SETTLE_MAX_S
    last = proc_cpu_ticks(pid)
    still = 0
    while still < SETTLE_SAMPLES and time.monotonic() < deadline:
        time.sleep(SETTLE_INTERVAL_S)
        now = proc_cpu_ticks(pid)
        still = still + 1 if now == last else 0
        last = now


def _drain(reader: LineReader, logpath: Path) -> None:
    with contextlib.suppress(Exception), open(logpath, "a") as f:
        while (line := reader.readline(time.monotonic() + 3600)) is not None:
            f.write(line + "\n")


def free_port() -> int:
    """A loopback port the kernel just handed out (for servers that must be told one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_accepting(proc: subprocess.Popen[bytes], port: int, deadline: float) -> bool:
    """Poll until something accepts on 127.0.0.1:`port` (False if `proc` exits or time is up)."""
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as s:
            s.settimeout(1.0)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


def somaxconn() -> int:
    """The listen backlog every server gets (Go's): net.core.somaxconn."""
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 4096


def connect_timeout(conns: int) -> float:
    return 20.0 + conns / 1000.0



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


# --------------------------------------------------------------------------- kinds of workload

RunFn = Callable[[Runner, ServerSpec, Workload, str], Json]
KINDS: dict[str, RunFn] = {}


def register_kind(kind: str, run: RunFn, metrics: "tuple[Metric, ...]" = (),
                  chart: str | None = None) -> None:
    """register_kind: workloads of `kind` are measured by `run(runner, spec, workload, tag)`.

    `run` starts the server with ``runner.server(spec, tag)`` (fresh, pinned, warmed) and
    returns one record (a dict: "rps", "errors", "noisy" and whatever `metrics` name);
    `metrics` are the table's columns (report.Metric; none: the echo columns), `chart`
    the chart its workloads join ("echo", "http" or None).  http (httpload.py) is
    registered this way; TLS and redis rows can be too (bench/README.md, "Adding a
    workload")."""
    KINDS[kind] = run
    if metrics:
        KIND_METRICS[kind] = metrics
    if chart:
        CHART_KINDS[kind] = chart


def run_client(r: Runner, argv: list[str], cpu: str = LOAD_CPU, timeout: float = 600) -> Json:
    """run_client runs a client program pinned to `cpu` and returns the last JSON object it
    printed, plus its own CPU (``client_user_s``, ``client_sys_s``) and ``wall_s``.

    For workloads whose subject is a client (a redis GET loop under gonet.patch()): the
    client prints its figures as one JSON line; the server it talks to is started with
    ``r.server(...)`` as usual."""
    t0, ru0 = time.monotonic(), os.times()
    res = subprocess.run(r.pinned(cpu, argv), capture_output=True, text=True, timeout=timeout,
                         check=False)
    t1, ru1 = time.monotonic(), os.times()
    lines = [x for x in res.stdout.splitlines() if x.startswith("{")]
    if res.returncode != 0 or not lines:
        raise BenchError(f"client {argv[0]} failed ({res.returncode}): "
                         f"{(res.stderr or res.stdout).strip()[-300:]}")
    out: Json = json.loads(lines[-1])
    out.update(client_user_s=ru1.children_user - ru0.children_user,
               client_sys_s=ru1.children_system - ru0.children_system, wall_s=t1 - t0)
    return out


KINDS["echo"] = run_echo
KINDS["idle"] = lambda r, spec, w, tag: run_idle(r, spec, w, tag, max(100, nofile_limits()[1] - 200))
