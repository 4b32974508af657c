"""demo: hold N connections to a gonet echo server and measure request/response round trips.

``python -m gonet demo [--conns 10000] [--seconds 5] [--size 64] [--addr 127.0.0.1:0]``
starts ``python -m gonet echo ADDR --control`` in a child process (the server:
one OS thread, one goroutine per connection) and runs N client goroutines in
this process (one more OS thread). Two processes, because a process here may
hold at most 20,000 descriptors and each side needs one per connection.

Phases, each bounded in time:

1. **connect**: N dials, at most ``--dial-concurrency`` in flight so the
   server's listen backlog is never overrun; a refused or timed-out dial is
   retried twice; everything stops at ``--connect-timeout``. A progress bar
   on stderr (carriage-return updates on a terminal, plain lines otherwise).
2. **measure memory**: once the server reports every connection accepted,
   its ``VmRSS`` (``/proc/PID/status``) is compared with the value taken
   before the first dial: the growth divided by N is its memory per connection.
3. **traffic**: for ``--seconds``, every client goroutine writes a
   ``--size``-byte message and reads the whole echo back, again and again,
   recording each round trip's latency (a closed loop: N requests in flight).
4. **report**: connections held (open and healthy at the end), round trips
   per second, p50/p99 latency, the server's memory per connection and its
   goroutine count (``gonet.stats()`` in the server, asked over the child's
   stdin/stdout control channel).

The server child is stopped (``quit``, then ``SIGTERM``, then ``SIGKILL``,
by PID) however the demo ends, Ctrl-C included; it also exits by itself when
its stdin reaches EOF, so it never outlives the demo. The exit status is 0
only if all N connections were held to the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import gonet

from .echo import read_rss_kb

__all__ = ["DemoConfig", "DemoResult", "ServerProcess", "add_arguments", "main", "run_demo"]

#: A dial is retried this many times after it is refused or times out.
DIAL_RETRIES = 2
#: Each dial attempt gives up after this many seconds.
DIAL_TIMEOUT = 5.0
#: Every read and write of the traffic phase must finish within this of its end.
TRAFFIC_SLACK = 10.0
#: How long the server may take to accept the connections the client holds.
ACCEPT_WAIT = 15.0
#: How long one control-channel request may take.
CONTROL_TIMEOUT = 10.0
#: Seconds between progress updates (and between checks of the Ctrl-C flag).
TICK = 0.1
#: Descriptors kept free for the runtime itself (epoll, eventfd, pipes, stdio).
FD_RESERVE = 64


@dataclass(frozen=True)
class DemoConfig:
    """DemoConfig is what ``python -m gonet demo`` was asked to do."""

    conns: int = 10_000
    seconds: float = 5.0
    size: int = 64
    addr: str = "127.0.0.1:0"
    dial_concurrency: int = 256
    connect_timeout: float = 60.0


@dataclass
class DemoResult:
    """DemoResult is what the demo measured; :meth:`format` renders the results table."""

    config: DemoConfig
    server_pid: int = 0
    server_addr: str = ""
    connected: int = 0
    dial_failures: int = 0
    dial_retries: int = 0
    connect_seconds: float = 0.0
    held: int = 0
    server_conns: int | None = None
    round_trips: int = 0
    traffic_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    rss_idle_kb: int | None = None
    rss_connected_kb: int | None = None
    rss_after_kb: int | None = None
    server_goroutines: int | None = None
    errors: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False

    def add_error(self, e: BaseException) -> None:
        """add_error counts ``e`` by its type's name (the table lists them)."""
        name = type(e).__name__
        self.errors[name] = self.errors.get(name, 0) + 1

    @property
    def rps(self) -> float:
        """rps is round trips per second over the traffic phase."""
        return self.round_trips / self.traffic_seconds if self.traffic_seconds > 0 else 0.0

    def percentile(self, p: float) -> float | None:
        """percentile is the nearest-rank ``p`` percentile (0–100) of the latencies, in seconds."""
        lat = self.latencies
        if not lat:
            return None
        return lat[max(0, min(len(lat) - 1, math.ceil(p / 100 * len(lat)) - 1))]

    @property
    def mem_per_conn_kb(self) -> float | None:
        """mem_per_conn_kb is the server's RSS growth from idle to all connected, per connection."""
        if self.rss_idle_kb is None or self.rss_connected_kb is None or self.connected == 0:
            return None
        return (self.rss_connected_kb - self.rss_idle_kb) / self.connected

    def format(self) -> str:
        """format renders the results table."""
        n = self.config.conns
        rows: list[tuple[str, str]] = []
        seen = "" if self.server_conns is None else f"  (the server sees {self.server_conns:,})"
        rows.append(("connections held", f"{self.held:,} of {n:,}{seen}"))
        rate = self.connected / self.connect_seconds if self.connect_seconds > 0 else 0.0
        rows.append(("connect time", f"{self.connect_seconds:.2f} s for {self.connected:,} "
                     f"({rate:,.0f} conns/s; {self.dial_retries:,} retries, "
                     f"{self.dial_failures:,} failed)"))
        rows.append(("round trips", f"{self.round_trips:,} in {self.traffic_seconds:.2f} s "
                     f"({self.config.size:,}-byte messages, {self.held:,} in flight)"))
        rows.append(("round trips per second", f"{self.rps:,.0f}"))
        p50, p99 = self.percentile(50), self.percentile(99)
        if p50 is not None and p99 is not None:
            rows.append(("latency p50 / p99", f"{_ms(p50)} / {_ms(p99)}"))
        else:
            rows.append(("latency p50 / p99", "n/a (no round trips)"))
        per = self.mem_per_conn_kb
        if per is not None and self.rss_idle_kb is not None and self.rss_connected_kb is not None:
            after = ("" if self.rss_after_kb is None
                     else f", {_mib(self.rss_after_kb)} after traffic")
            rows.append(("server memory per conn", f"{per:.1f} KiB  (RSS {_mib(self.rss_idle_kb)} "
                         f"idle, {_mib(self.rss_connected_kb)} with {self.connected:,} "
                         f"conns{after})"))
        else:
            rows.append(("server memory per conn", "n/a"))
        if self.server_goroutines is not None:
            extra = ""
            if self.server_conns is not None:
                extra = (f"  ({self.server_conns:,} connection handlers + "
                         f"{self.server_goroutines - self.server_conns} for main, "
                         "signals and control)")
            rows.append(("server goroutines", f"{self.server_goroutines:,}{extra}"))
        else:
            rows.append(("server goroutines", "n/a"))
        if self.errors:
            rows.append(("errors", ", ".join(f"{k}: {v:,}" for k, v in sorted(self.errors.items()))))
        if self.interrupted:
            rows.append(("interrupted", "yes (Ctrl-C): the numbers cover what ran"))
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _mib(kb: int) -> str:
    return f"{kb / 1024:.1f} MiB"


# --- the server child ----------------------------------------------------------------


class ServerProcess:
    """ServerProcess is the echo server child, driven over its stdin/stdout control channel.

    Not thread-safe: one request at a time (the demo calls it from one
    goroutine, through :func:`gonet.blocking`).
    """

    def __init__(self, address: str) -> None:
        env = dict(os.environ)
        # Run the same gonet as this process, wherever the child's cwd puts sys.path.
        src = str(Path(gonet.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gonet", "echo", address, "--control"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            # Its own process group: Ctrl-C reaches the demo only, which then stops it.
            start_new_session=True,
        )
        self.pid = self.proc.pid
        self._buf = b""

    def readline(self, timeout: float) -> str:
        """readline returns the child's next stdout line, waiting at most ``timeout`` seconds.

        Raises ``TimeoutError`` when the time passes and ``EOFError`` when the
        child closed its stdout (it exited).
        """
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"echo server (pid {self.pid}) did not answer in {timeout:g} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError(f"echo server (pid {self.pid}) exited "
                               f"(status {self.proc.poll()})")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode("utf-8", "replace").strip()

    def wait_listening(self, timeout: float) -> str:
        """wait_listening returns the address from the child's ``listening on ADDR`` line."""
        line = self.readline(timeout)
        prefix = "listening on "
        if not line.startswith(prefix):
            raise RuntimeError(f"echo server said {line!r}, not {prefix!r}...")
        return line[len(prefix):]

    def request(self, command: str, timeout: float = CONTROL_TIMEOUT) -> dict[str, Any]:
        """request sends ``command`` and returns the child's JSON answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode("ascii") + b"\n")
        self.proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self.readline(timeout))
        if "error" in reply:
            raise RuntimeError(f"echo server: {reply['error']}")
        return reply

    def rss_kb(self) -> int:
        """rss_kb is the child's ``VmRSS`` in KiB, read from ``/proc/PID/status``."""
        return read_rss_kb(self.pid)

    def stop(self, timeout: float = 10.0) -> int | None:
        """stop ends the child: ``quit`` and EOF, then ``SIGTERM``, then ``SIGKILL``; idempotent.

        Each step waits at most ``timeout`` seconds. Returns the exit status.
        """
        proc = self.proc
        if proc.poll() is None and proc.stdin is not None and not proc.stdin.closed:
            try:
                proc.stdin.write(b"quit\n")
                proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass
        for step in (None, signal.SIGTERM, signal.SIGKILL):
            if step is not None and proc.poll() is None:
                try:
                    os.kill(proc.pid, step)
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except BrokenPipeError:
                    pass
        return proc.poll()


# --- progress ----------------------------------------------------------------------


class Progress:
    """Progress draws the connect phase's progress bar on ``out``.

    On a terminal it redraws one line with carriage returns; otherwise it
    prints a plain line at every tenth of the way.
    """

    WIDTH = 30

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = total
        self.out = out
        self.tty = out.isatty()
        self.start = time.monotonic()
        self._last_decile = -1

    def update(self, done: int, failed: int, final: bool = False) -> None:
        """update shows ``done`` of the total connected and ``failed`` given up on."""
        total = max(1, self.total)
        elapsed = time.monotonic() - self.start
        text = f"{done:,}/{self.total:,} connected"
        if failed:
            text += f", {failed:,} failed"
        text += f"  {elapsed:.1f} s"
        if self.tty:
            filled = self.WIDTH * done // total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.out.write(f"\rconnecting [{bar}] {text}\x1b[K" + ("\n" if final else ""))
        else:
            decile = 10 * (done + failed) // total
            if decile == self._last_decile and not final:
                return
            self._last_decile = decile
            self.out.write(f"connecting: {text}\n")
        self.out.flush()


# --- the client side (runs as goroutine 1 of this process's runtime) -------------------


class _Client:
    """_Client is the state the client goroutines share (all on one thread: no locks)."""

    def __init__(self, config: DemoConfig, server: ServerProcess, result: DemoResult) -> None:
        self.config = config
        self.server = server
        self.result = result
        self.conns: list[gonet.Conn] = []
        self.next_dial = 0
        self.stop = False  # set on Ctrl-C
        self.quit: gonet.Chan[None] = gonet.Chan()  # closed on Ctrl-C

    # Ctrl-C -----------------------------------------------------------------------

    def watch_interrupt(self) -> None:
        """watch_interrupt closes ``quit`` and every conn once Ctrl-C was pressed."""
        while not _interrupted:
            gonet.sleep(TICK)
        self.stop = True
        self.result.interrupted = True
        self.quit.close()
        for c in self.conns:
            c.close()  # wakes the goroutines parked on them with ClosedError

    def wait(self, done: gonet.Chan[None], seconds: float) -> bool:
        """wait parks until ``done`` is closed (True), or Ctrl-C or ``seconds`` pass (False)."""
        index, _, _ = gonet.select(done, self.quit, gonet.after(seconds))
        return index == 0

    # connect ----------------------------------------------------------------------

    def dialer(self, address: str, deadline: float, left: list[int],
               done: gonet.Chan[None]) -> None:
        """dialer dials connections until all are made, Ctrl-C, or the deadline."""
        cfg, res = self.config, self.result
        try:
            while not self.stop and self.next_dial < cfg.conns:
                self.next_dial += 1
                for attempt in range(DIAL_RETRIES + 1):
                    timeout = min(DIAL_TIMEOUT, deadline - gonet.monotonic())
                    if timeout <= 0 or self.stop:
                        res.dial_failures += 1
                        return
                    try:
                        conn = gonet.dial("tcp", address, timeout=timeout)
                    except OSError as e:
                        if attempt == DIAL_RETRIES:
                            res.dial_failures += 1
                            res.add_error(e)
                        else:
                            res.dial_retries += 1
                            gonet.sleep(0.05 * 2 ** attempt)
                        continue
                    if self.stop:
                        conn.close()
                        return
                    self.conns.append(conn)
                    res.connected += 1
                    break
        finally:
            left[0] -= 1
            if left[0] == 0:
                done.close()

    def connect(self, address: str) -> None:
        """connect makes the N connections with bounded concurrency, showing progress."""
        cfg, res = self.config, self.result
        progress = Progress(cfg.conns, sys.stderr)
        start = gonet.monotonic()
        deadline = start + cfg.connect_timeout
        done: gonet.Chan[None] = gonet.Chan()
        workers = min(cfg.dial_concurrency, cfg.conns)
        left = [workers]
        for _ in range(workers):
            gonet.go(self.dialer, address, deadline, left, done)
        while not self.stop:
            progress.update(res.connected, res.dial_failures)
            if self.wait(done, TICK):
                break
            if gonet.monotonic() > deadline + DIAL_TIMEOUT:
                break  # dialers check the deadline themselves; this only bounds the wait
        res.connect_seconds = gonet.monotonic() - start
        progress.update(res.connected, res.dial_failures, final=True)

    # memory -----------------------------------------------------------------------

    def wait_accepted(self) -> dict[str, Any]:
        """wait_accepted waits (bounded) until the server has accepted every held conn."""
        deadline = gonet.monotonic() + ACCEPT_WAIT
        while True:
            stats: dict[str, Any] = gonet.blocking(self.server.request, "stats")
            if (stats["conns"] >= len(self.conns) or self.stop
                    or gonet.monotonic() >= deadline):
                return stats
            gonet.sleep(TICK)

    # traffic ----------------------------------------------------------------------

    def round_trips(self, conn: gonet.Conn, msg: bytes, end: float, left: list[int],
                    done: gonet.Chan[None], alive: list[gonet.Conn]) -> None:
        """round_trips writes ``msg`` and reads its echo until ``end``; records each latency."""
        res = self.result
        record = res.latencies.append
        size = len(msg)
        clock = time.perf_counter
        mono = gonet.monotonic
        try:
            # Every operation ends by then, whatever the server does.
            conn.set_deadline(end + TRAFFIC_SLACK)
            while not self.stop and mono() < end:
                t0 = clock()
                conn.write(msg)
                data = conn.read(size)
                if len(data) < size:
                    data = _read_rest(conn, data, size)
                t1 = clock()
                if data != msg:
                    raise ValueError("the echo differs from the message")
                record(t1 - t0)
            alive.append(conn)
        except (OSError, EOFError, ValueError) as e:
            if not self.stop:
                res.add_error(e)
            conn.close()
        finally:
            left[0] -= 1
            if left[0] == 0:
                done.close()

    def traffic(self) -> list[gonet.Conn]:
        """traffic runs the request/response phase; returns the conns still healthy at its end."""
        cfg, res = self.config, self.result
        msg = (b"gonet-echo-" * (cfg.size // 11 + 1))[:cfg.size]
        alive: list[gonet.Conn] = []
        if not self.conns:
            return alive
        done: gonet.Chan[None] = gonet.Chan()
        left = [len(self.conns)]
        start = gonet.monotonic()
        end = start + cfg.seconds
        for conn in self.conns:
            gonet.go(self.round_trips, conn, msg, end, left, done, alive)
        self.wait(done, cfg.seconds + TRAFFIC_SLACK + 5.0)
        res.traffic_seconds = gonet.monotonic() - start
        res.round_trips = len(res.latencies)
        return alive

    # the whole client -------------------------------------------------------------

    def main(self) -> None:
        """main runs the phases in order; every phase is bounded in time and stops on Ctrl-C."""
        res, server = self.result, self.server
        gonet.go(self.watch_interrupt)
        try:
            self.connect(res.server_addr)
            if self.stop:
                return
            stats = self.wait_accepted()
            res.rss_connected_kb = server.rss_kb()
            res.server_conns = stats["conns"]
            res.server_goroutines = stats["goroutines"]
            _out(f"traffic: {cfg_line(self.config, len(self.conns))}", sys.stderr)
            alive = self.traffic()
            res.held = sum(1 for c in alive if not c.closed)
            if not self.stop:
                stats = gonet.blocking(server.request, "stats")
                res.server_conns = stats["conns"]
                res.server_goroutines = stats["goroutines"]
                res.rss_after_kb = server.rss_kb()
                # The server closes first, so the TIME_WAIT states land on its one port
                # rather than on N of this machine's ephemeral ports.
                gonet.blocking(server.stop)
        finally:
            for c in self.conns:
                c.close()


def cfg_line(cfg: DemoConfig, n: int) -> str:
    """cfg_line describes the traffic phase in one line."""
    return (f"{n:,} goroutines x {cfg.size}-byte round trips for {cfg.seconds:g} s")


def _read_rest(conn: gonet.Conn, data: bytes, size: int) -> bytes:
    parts = [data]
    got = len(data)
    while got < size:
        if not data:
            raise EOFError("the server closed the connection")
        data = conn.read(size - got)
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def _out(line: str, file: TextIO | None = None) -> None:
    f = sys.stdout if file is None else file
    f.write(line + "\n")
    f.flush()


_interrupted = False


def _on_sigint(signum: int, frame: Any) -> None:
    global _interrupted
    _interrupted = True
    # A second Ctrl-C raises KeyboardInterrupt wherever the thread is.
    signal.signal(signal.SIGINT, signal.default_int_handler)


# --- entry points ---------------------------------------------------------------------


def check_limits(cfg: DemoConfig) -> str | None:
    """check_limits returns why ``cfg`` cannot run on this machine, or None if it can."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and cfg.conns > hard - FD_RESERVE:
        return (f"--conns {cfg.conns:,} needs that many descriptors in each process, but the "
                f"hard RLIMIT_NOFILE is {hard:,} (ulimit -Hn); use at most {hard - FD_RESERVE:,}")
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        return None
    if cfg.conns > hi - lo + 1:
        return (f"--conns {cfg.conns:,} needs that many ephemeral ports, but "
                f"ip_local_port_range has {hi - lo + 1:,} ({lo}-{hi})")
    return None


def run_demo(cfg: DemoConfig) -> DemoResult:
    """run_demo starts the server child, runs the client runtime, and stops the child.

    The child is stopped by PID on every path (errors and Ctrl-C included).
    Raises ``RuntimeError``/``TimeoutError``/``EOFError`` if the server cannot be started.
    """
    global _interrupted
    result = DemoResult(cfg)
    server = ServerProcess(cfg.addr)
    old_handler: Any = None
    try:
        result.server_pid = server.pid
        result.server_addr = server.wait_listening(CONTROL_TIMEOUT)
        server.request("stats")  # the runtime is up and idle
        result.rss_idle_kb = server.rss_kb()
        _out(f"gonet demo: {cfg.conns:,} client goroutines in this process (pid {os.getpid()}) "
             f"connect to a gonet echo server\nin a child process (pid {server.pid}, "
             f"{result.server_addr}); each side runs on one OS thread. Then every client\n"
             f"does {cfg.size}-byte request/response round trips for {cfg.seconds:g} s.\n")
        _interrupted = False
        try:
            old_handler = signal.signal(signal.SIGINT, _on_sigint)
        except ValueError:
            old_handler = None  # not the main thread: Ctrl-C stays KeyboardInterrupt
        client = _Client(cfg, server, result)
        gonet.run(client.main)
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
        server.stop()
    return result


def add_arguments(p: argparse.ArgumentParser) -> None:
    """add_arguments adds the demo's options to ``p``."""
    d = DemoConfig()
    p.add_argument("--conns", type=int, default=d.conns,
                   help=f"connections to open and hold (default {d.conns:,})")
    p.add_argument("--seconds", type=float, default=d.seconds,
                   help=f"seconds of request/response traffic (default {d.seconds:g})")
    p.add_argument("--size", type=int, default=d.size,
                   help=f"message size in bytes (default {d.size})")
    p.add_argument("--addr", default=d.addr,
                   help=f"address the echo server listens on (default {d.addr})")
    p.add_argument("--dial-concurrency", type=int, default=d.dial_concurrency,
                   help=f"dials in flight at once (default {d.dial_concurrency})")
    p.add_argument("--connect-timeout", type=float, default=d.connect_timeout,
                   help=f"give up connecting after this many seconds (default "
                        f"{d.connect_timeout:g})")


def main(args: argparse.Namespace) -> int:
    """main runs the demo for parsed ``args``; returns 0 only if every connection was held.

    Returns 2 for impossible arguments, 1 when fewer connections than asked
    were held or the server could not be started, 130 after Ctrl-C.
    """
    cfg = DemoConfig(conns=args.conns, seconds=args.seconds, size=args.size, addr=args.addr,
                     dial_concurrency=args.dial_concurrency,
                     connect_timeout=args.connect_timeout)
    bad = [f"{name} must be positive" for name, v in
           (("--conns", cfg.conns), ("--seconds", cfg.seconds), ("--size", cfg.size),
            ("--dial-concurrency", cfg.dial_concurrency),
            ("--connect-timeout", cfg.connect_timeout)) if v <= 0]
    why = check_limits(cfg) if not bad else None
    if bad or why:
        _out(f"gonet demo: {'; '.join(bad) or why}", sys.stderr)
        return 2
    try:
        result = run_demo(cfg)
    except KeyboardInterrupt:
        _out("\ngonet demo: interrupted", sys.stderr)
        return 130
    except (OSError, RuntimeError, EOFError, ValueError) as e:
        _out(f"gonet demo: {e}", sys.stderr)
        return 1
    _out("\nresults")
    _out(result.format())
    if result.interrupted:
        return 130
    if result.held < cfg.conns:
        _out(f"\ngonet demo: FAILED: held {result.held:,} of {cfg.conns:,} connections",
             sys.stderr)
        return 1
    return 0
