"""demo: hold N connections to a gonet echo server and measure request/response round trips.

``python -m gonet demo [--conns 10000] [--seconds 5] [--size 64] [--addr 127.0.0.1:0]``
starts ``python -m gonet echo ADDR --control`` in a child process (the server:
one OS thread, one goroutine per connection) and runs N client goroutines in
this process (one more OS thread). Two processes, because a process here may
hold at most 20,000 descriptors and each side needs one per connection.

Phases, each bounded in time: (1) **connect**, at most ``--dial-concurrency``
dials in flight so the listen backlog is never overrun, refused or timed-out
dials retried twice, a progress bar on stderr; (2) **memory**: the server's
``VmRSS`` growth from before the first dial to all N accepted, divided by N;
(3) **traffic**: for ``--seconds`` every client goroutine writes a message and
reads the whole echo back, recording each latency (a closed loop, N in
flight); (4) **report**: connections held (healthy at the end), round trips per
second, p50/p99 latency, memory per connection and the server's goroutine
count (its ``gonet.stats()``, asked over the child's control channel).

The child is stopped by PID (``quit``, ``SIGTERM``, ``SIGKILL``) however the
demo ends, Ctrl-C included, and exits by itself at EOF on its stdin. The exit
status is 0 only if all N connections were held to the end.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import gonet

from .echo import CONTROL_TIMEOUT, EchoProcess

__all__ = ["DemoConfig", "DemoResult", "check_limits", "main", "run_demo"]

#: A dial is retried this many times after it is refused or times out.
DIAL_RETRIES = 2
#: Each dial attempt gives up after this many seconds.
DIAL_TIMEOUT = 5.0
#: Every read and write of the traffic phase must finish within this of its end.
TRAFFIC_SLACK = 10.0
#: How long the server may take to accept the connections the client holds.
ACCEPT_WAIT = 15.0
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
        """percentile is the nearest-rank ``p`` percentile (0 to 100) of the latencies (s)."""
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
                     f"({self.config.size:,}-byte messages, {self.connected:,} in flight)"))
        rows.append(("round trips per second", f"{self.rps:,.0f}"))
        p50, p99 = self.percentile(50), self.percentile(99)
        if p50 is not None and p99 is not None:
            rows.append(("latency p50 / p99", f"{_ms(p50)} / {_ms(p99)}"))
        else:
            rows.append(("latency p50 / p99", "n/a"))
        per, idle, full = self.mem_per_conn_kb, self.rss_idle_kb, self.rss_connected_kb
        after = "" if self.rss_after_kb is None else f"; {_mib(self.rss_after_kb)} after traffic"
        rows.append(("server memory per conn", "n/a" if per is None or idle is None
                     or full is None else f"{per:.1f} KiB  (RSS {idle / 1024:.1f} -> "
                     f"{_mib(full)} at {self.connected:,} conns{after})"))
        gs, sc = self.server_goroutines, self.server_conns
        rows.append(("server goroutines", "n/a" if gs is None or sc is None else
                     f"{gs:,}  ({sc:,} connection handlers + {gs - sc} for main, signals and "
                     "control)"))
        if self.errors:
            errs = sorted(self.errors.items())
            rows.append(("errors", ", ".join(f"{k}: {v:,}" for k, v in errs)))
        if self.interrupted:
            rows.append(("interrupted", "yes (Ctrl-C): the numbers cover what ran"))
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _mib(kb: int) -> str:
    return f"{kb / 1024:.1f} MiB"


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

    def __init__(self, config: DemoConfig, server: EchoProcess, result: DemoResult) -> None:
        self.config = config
        self.server = server
        self.result = result
        self.conns: list[gonet.Conn] = []
        self.next_dial = 0
        self.clean = 0  # traffic goroutines that ended healthy
        self.broken = 0  # conns that failed during traffic
        self.stop = False  # set on Ctrl-C
        self.quit: gonet.Chan[None] = gonet.Chan()  # closed on Ctrl-C


    def watch_interrupt(self) -> None:
        """watch_interrupt closes ``quit`` and every conn once Ctrl-C was pressed."""
        while not _interrupted:
            gonet.sleep(TICK)
        self.stop = True
        self.result.interrupted = True
        # Held: open when Ctrl-C came (those are closed next).
        self.result.held = self.result.connected - self.broken
        self.quit.close()
        for c in self.conns:
            c.close()  # wakes the goroutines parked on them with ClosedError

    def wait(self, done: gonet.Chan[None], seconds: float) -> bool:
        """wait parks until ``done`` is closed (True), or Ctrl-C or ``seconds`` pass (False)."""
        index, _, _ = gonet.select(done, self.quit, gonet.after(seconds))
        return index == 0


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


    def wait_accepted(self) -> dict[str, Any]:
        """wait_accepted waits (bounded) until the server has accepted every held conn."""
        deadline = gonet.monotonic() + ACCEPT_WAIT
        while True:
            stats: dict[str, Any] = gonet.blocking(self.server.request, "stats")
            if (stats["conns"] >= len(self.conns) or self.stop
                    or gonet.monotonic() >= deadline):
                return stats
            gonet.sleep(TICK)


    def round_trips(self, conn: gonet.Conn, msg: bytes, end: float, left: list[int],
                    done: gonet.Chan[None]) -> None:
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
            if not self.stop:
                self.clean += 1
        except (OSError, EOFError, ValueError) as e:
            if not self.stop:
                self.broken += 1
                res.add_error(e)
            conn.close()
        finally:
            left[0] -= 1
            if left[0] == 0:
                done.close()

    def traffic(self) -> None:
        """traffic runs the request/response phase; ``clean`` counts conns healthy at its end."""
        cfg, res = self.config, self.result
        msg = (b"gonet-echo-" * (cfg.size // 11 + 1))[:cfg.size]
        if not self.conns:
            return
        done: gonet.Chan[None] = gonet.Chan()
        left = [len(self.conns)]
        start = gonet.monotonic()
        end = start + cfg.seconds
        for conn in self.conns:
            gonet.go(self.round_trips, conn, msg, end, left, done)
        # Not self.wait: on Ctrl-C the conns are closed, so every goroutine ends soon,
        # and waiting for them keeps their last latencies out of the sorted list.
        gonet.select(done, gonet.after(cfg.seconds + TRAFFIC_SLACK + 5.0))
        res.traffic_seconds = gonet.monotonic() - start
        res.latencies = sorted(res.latencies)
        res.round_trips = len(res.latencies)


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
            cfg = self.config
            _out(f"traffic: {len(self.conns):,} goroutines x {cfg.size}-byte round trips for "
                 f"{cfg.seconds:g} s", sys.stderr)
            self.traffic()
            if not self.stop:
                res.held = self.clean
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
    server = EchoProcess(cfg.addr)
    old_handler: Any = None
    try:
        result.server_pid = server.pid
        result.server_addr = server.wait_listening(CONTROL_TIMEOUT)
        server.request("stats")  # the runtime is up and idle
        result.rss_idle_kb = server.rss_kb()
        _out(f"gonet demo: {cfg.conns:,} client goroutines in this process (pid {os.getpid()}) "
             f"connect to a gonet echo server\nin a child process (pid {server.pid}, "
             f"{result.server_addr}); each side runs on one OS thread. Then every client\n"
             f"does {cfg.size}-byte request/response round trips for {cfg.seconds:g} s.")
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


def main(cfg: DemoConfig) -> int:
    """main runs the demo and prints its results; returns 0 only if every connection was held.

    Returns 2 for impossible settings, 1 when fewer connections than asked
    were held or the server could not be started, 130 after Ctrl-C.
    """
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
