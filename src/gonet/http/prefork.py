"""prefork: one serving process, and the master that supervises N of them (``--workers N``).

**A serving process** (:func:`serve_process`) runs one gonet runtime: a
:class:`gonet.http.Server` over the WSGI app, one ``serve`` goroutine per
listener, and a goroutine per connection. Its life ends with a signal, as
Go's ``http.Server.Shutdown`` example does it (``signal.Notify`` then
``Shutdown(ctx)``):

1. ``SIGTERM`` or ``SIGINT`` (delivered to a channel by ``gonet.signal_notify``)
   starts a graceful shutdown: the listeners close (no new connections),
   idle keep-alive connections close, requests in flight run to completion,
   each connection closing after its response — up to ``graceful_timeout``
   seconds, then the rest are closed.
2. A second ``SIGTERM``/``SIGINT`` during that wait closes everything at once.
3. Exit status 0 when every in-flight request finished, 1 when some were cut.

**The master** (:class:`Master`) is plain Python, no runtime: it owns the
listening sockets, forks the workers, restarts one that dies (a crash,
``kill -9``) and turns its own ``SIGTERM``/``SIGINT`` into the workers'
graceful shutdown (a second signal is passed on: they stop at once; past the
grace period they are killed). It waits for signals with ``sigtimedwait``
(all of them blocked, so none is lost between two checks). Workers run in
their own process group, so a terminal's Ctrl-C reaches only the master,
which passes it on once (the workers would otherwise see it twice); a worker
whose master is gone (``getppid`` changed) shuts down on its own.

How the workers share the port — measured (``docs/serve.md``: wrk -t1 -c100,
2 workers), the default is ``SO_REUSEPORT``: the master opens, per TCP
address, one listening socket per worker *slot*, all bound to the same port
with ``SO_REUSEPORT``, and worker i serves slot i's socket (through
:func:`gonet.file_listener`). The kernel hashes connections across them
(48/52 to 50/50 in every run). The master keeps its copies open, so when a
worker is killed its socket — and every connection queued on it — survives
until the replacement for that slot accepts them: nothing is reset, the port
never stops answering. (Sockets opened by the workers themselves would die
with them, resetting their queues.) With ``--no-reuse-port`` every worker
serves a copy of one shared socket: one accept queue, but with
edge-triggered epoll in every worker whoever wakes first accepts the whole
burst — the split was 0/100, 69/31 and 49/51 in three runs. Unix sockets are
always shared.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import gonet

from .accesslog import AccessLog

__all__ = ["Master", "ServeOptions", "serve_process"]

#: How often a worker checks that its master is still there, in seconds.
ORPHAN_CHECK_INTERVAL = 1.0
#: Extra seconds the master gives workers beyond their own grace period before SIGKILL.
KILL_MARGIN = 5.0
#: Seconds a worker must live to count as started (faster deaths back off the restarts).
MIN_WORKER_LIFE = 1.0
#: How long the master waits for a new worker to say it is serving, in seconds.
WORKER_START_TIMEOUT = 60.0

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass
class ServeOptions:
    """ServeOptions is what a serving process needs: the app, the server settings, the exits."""

    app: Callable[..., Iterable[bytes]] | None
    server_kwargs: dict[str, Any] = field(default_factory=dict)
    graceful_timeout: float = 30.0
    access_log: bool = False
    debug_page: bool = False
    tls_context: Any = None  # an ssl.SSLContext when serving HTTPS (gonet.tls)
    bind_names: list[str] = field(default_factory=list)


def _say(line: str) -> None:
    sys.stderr.write(f"gonet serve[{os.getpid()}]: {line}\n")
    sys.stderr.flush()


def _open_listeners(socks: list[socket.socket], close_originals: bool) -> list[gonet.Listener]:
    lns: list[gonet.Listener] = []
    try:
        for s in socks:
            lns.append(gonet.file_listener(s))
            if close_originals:
                s.close()
    except BaseException:
        for ln in lns:
            ln.close()
        raise
    return lns


def _serve_main(opts: ServeOptions, socks: list[socket.socket],
                ready: Callable[[list[gonet.Listener]], None] | None,
                master_pid: int | None, close_originals: bool) -> int:
    from . import Server, WSGIHandler

    srv: Any = None

    def server_stats() -> dict[str, Any]:
        return srv.stats() if srv is not None else {}

    app = opts.app
    if app is None:
        from .default_app import make_default_app

        app = make_default_app(server_stats=server_stats, bind=", ".join(opts.bind_names))
    elif opts.debug_page:
        from .debugpage import DebugPage

        app = DebugPage(app, server_stats=server_stats)
    access = AccessLog() if opts.access_log else None
    kwargs = dict(opts.server_kwargs)
    if access is not None:
        kwargs["access_log"] = access
    handler = WSGIHandler(app, url_scheme="https" if opts.tls_context is not None else "http")
    srv = Server(handler, **kwargs)
    sigch: gonet.Chan[Any] = gonet.Chan(4)
    gonet.signal_notify(sigch, *_STOP_SIGNALS)
    # gonet.Listener, or gonet.tls.TLSListener over one: the same accept/close/addr API.
    lns: list[Any] = list(_open_listeners(socks, close_originals))
    if opts.tls_context is not None:
        from gonet import tls as gonet_tls

        # The handshake runs on each connection's goroutine (its first read), never in
        # the accept loop (Go's tls.NewListener).
        lns = [gonet_tls.TLSListener(ln, opts.tls_context) for ln in lns]
    serving = [gonet.go(srv.serve, ln) for ln in lns]
    if access is not None:
        gonet.go(access.run)
    if master_pid is not None:
        gonet.go(_watch_master, master_pid, sigch)
    if ready is not None:
        ready(lns)
    status = 0
    try:
        sig = sigch.recv()
        _say(f"{_signame(sig)}: shutting down (finishing requests in flight, up to "
             f"{opts.graceful_timeout:g} s; send it again to stop at once)")
        done: gonet.Chan[bool] = gonet.Chan(1)
        gonet.go(lambda: done.send(srv.shutdown(timeout=opts.graceful_timeout)))
        index, finished, _ = gonet.select(done, sigch)
        if index == 1:
            _say(f"{_signame(finished)} again: closing every connection now")
            srv.close()
            status = 1
        elif not finished:
            _say(f"grace period of {opts.graceful_timeout:g} s over: closing the rest")
            srv.close()
            status = 1
        for g in serving:
            g.join(timeout=5.0)
    finally:
        gonet.signal_stop(sigch)
        if access is not None:
            access.close()
    return status


def _signame(sig: Any) -> str:
    try:
        return signal.Signals(sig).name
    except (ValueError, TypeError):
        return str(sig)


def _watch_master(master_pid: int, sigch: gonet.Chan[Any]) -> None:
    """A worker whose master died (its parent is someone else now) stops as if told to."""
    while os.getppid() == master_pid:
        gonet.sleep(ORPHAN_CHECK_INTERVAL)
    _say(f"master {master_pid} is gone: shutting down")
    sigch.send(signal.SIGTERM)


def serve_process(opts: ServeOptions, socks: list[socket.socket], *,
                  ready: Callable[[list[gonet.Listener]], None] | None = None,
                  master_pid: int | None = None, close_originals: bool = True) -> int:
    """serve_process serves ``opts.app`` on ``socks`` until a signal; returns the exit status.

    Runs a gonet runtime on the calling thread (``gonet.run``). ``socks`` are
    listening sockets, each served through :func:`gonet.file_listener`
    (``close_originals`` closes them once copied). ``ready(listeners)`` is
    called once serving. Status 0 when a graceful shutdown finished every
    request, 1 when requests were cut.
    """
    result: int = gonet.run(_serve_main, opts, socks, ready, master_pid, close_originals)
    return result


class Master:
    """Master forks ``workers`` serving processes over shared sockets and keeps them running.

    ``shared`` sockets are served by every worker; ``per_worker[i]`` (the
    ``SO_REUSEPORT`` sockets of slot i) only by the worker in slot i. The
    master keeps all of them open until it stops. ``announce()`` runs once
    every first worker is serving.
    """

    def __init__(self, opts: ServeOptions, shared: list[socket.socket], workers: int, *,
                 per_worker: list[list[socket.socket]] | None = None,
                 announce: Callable[[], None] | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.opts = opts
        self.shared = shared
        self.nworkers = workers
        self.per_worker = per_worker or []
        if self.per_worker and len(self.per_worker) != workers:
            raise ValueError(f"per_worker has {len(self.per_worker)} slots for {workers} workers")
        self.announce = announce
        self.pid = os.getpid()
        self.workers: dict[int, tuple[float, int]] = {}  # pid -> (start time, slot)
        self.stopping = False
        self.kill_at: float | None = None
        self.failures = 0  # consecutive workers that died young
        self.restart_at = 0.0
        self.statuses: list[int] = []
        self.old_mask: set[int] = set()

    # --- the worker's side -------------------------------------------------------------

    def _slot_socks(self, slot: int) -> list[socket.socket]:
        return [*self.shared, *(self.per_worker[slot] if self.per_worker else [])]

    def _child(self, slot: int, ready_w: int) -> None:
        code = 1
        try:
            mine = self._slot_socks(slot)
            for i, socks in enumerate(self.per_worker):
                if i != slot:
                    for s in socks:
                        s.close()  # the other slots' sockets are not this worker's
            os.setpgid(0, 0)  # the terminal's Ctrl-C goes to the master only
            for sig in (*_STOP_SIGNALS, signal.SIGHUP, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, self.old_mask)

            def ready(_: list[gonet.Listener]) -> None:
                try:
                    os.write(ready_w, b"r")  # a restarted worker's pipe has no reader: EPIPE
                except OSError:
                    pass
                os.close(ready_w)

            code = serve_process(self.opts, mine, ready=ready, master_pid=self.pid)
        except BaseException as e:  # a worker must never return into the master's code
            _say(f"worker failed: {e!r}")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    # --- the master's side -------------------------------------------------------------

    def spawn(self, slot: int) -> tuple[int, int]:
        """spawn forks the worker of ``slot``; returns its pid and the read end of its ready pipe."""
        ready_r, ready_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            self._child(slot, ready_w)
        os.close(ready_w)
        self.workers[pid] = (time.monotonic(), slot)
        return pid, ready_r

    def _wait_ready(self, pid: int, ready_r: int) -> bool:
        import select

        try:
            r, _, _ = select.select([ready_r], [], [], WORKER_START_TIMEOUT)
            return bool(r) and os.read(ready_r, 1) == b"r"
        finally:
            os.close(ready_r)

    def run(self) -> int:
        """run starts the workers and supervises them until a signal ends them all.

        Returns 0 when every worker ended its graceful shutdown with status
        0, 1 otherwise (and 1 if the first workers could not start).
        """
        watched: set[int] = {*_STOP_SIGNALS, signal.SIGCHLD, signal.SIGHUP}
        old_mask = self.old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, watched)
        try:
            for slot in range(self.nworkers):
                pid, ready_r = self.spawn(slot)
                if not self._wait_ready(pid, ready_r):
                    _say(f"worker {pid} did not start; stopping")
                    self._signal_all(signal.SIGKILL)
                    self._reap(block=True)
                    return 1
            if self.announce is not None:
                self.announce()
            how = "SO_REUSEPORT sockets" if self.per_worker else "one listening socket"
            _say(f"master: {self.nworkers} workers ({', '.join(map(str, self.workers))}) "
                 f"sharing {how}")
            return self._supervise(watched)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

    def _supervise(self, watched: set[int]) -> int:
        while self.workers or not self.stopping:
            timeout = 1.0
            now = time.monotonic()
            if self.kill_at is not None:
                timeout = max(0.0, min(timeout, self.kill_at - now))
            info = signal.sigtimedwait(watched, timeout)
            if info is not None and info.si_signo in _STOP_SIGNALS:
                self._on_stop_signal(info.si_signo)
            self._reap(block=False)
            now = time.monotonic()
            if self.kill_at is not None and now >= self.kill_at and self.workers:
                _say(f"workers still running after the grace period: killing {len(self.workers)}")
                self._signal_all(signal.SIGKILL)
                self.kill_at = None
            if not self.stopping and len(self.workers) < self.nworkers and now >= self.restart_at:
                used = {slot for _, slot in self.workers.values()}
                slot = min(set(range(self.nworkers)) - used)
                pid, ready_r = self.spawn(slot)
                os.close(ready_r)  # no need to wait: the others keep the port answering
                _say(f"started worker {pid}")
        return 0 if all(s == 0 for s in self.statuses) else 1

    def _on_stop_signal(self, signo: int) -> None:
        name = signal.Signals(signo).name
        if not self.stopping:
            self.stopping = True
            _say(f"{name}: stopping {len(self.workers)} workers gracefully")
            self.kill_at = time.monotonic() + self.opts.graceful_timeout + KILL_MARGIN
            self._signal_all(signal.SIGTERM)
            # The master's copies would keep the port accepting into a queue nobody
            # serves any more: close them, so new connections are refused.
            for s in self._all_socks():
                s.close()
        else:
            _say(f"{name} again: workers stop at once")
            self._signal_all(signal.SIGTERM)  # their second signal: close everything
            self.kill_at = time.monotonic() + KILL_MARGIN

    def _all_socks(self) -> list[socket.socket]:
        return [*self.shared, *(s for slot in self.per_worker for s in slot)]

    def _signal_all(self, sig: int) -> None:
        for pid in list(self.workers):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def _reap(self, *, block: bool) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                self.workers.clear()
                return
            if pid == 0:
                return
            entry = self.workers.pop(pid, None)
            if entry is None:
                continue
            started = entry[0]
            code = os.waitstatus_to_exitcode(status)
            if self.stopping:
                self.statuses.append(code)
                continue
            why = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
            lived = time.monotonic() - started
            if lived < MIN_WORKER_LIFE:
                self.failures += 1
                delay = min(0.1 * 2 ** self.failures, 5.0)
                self.restart_at = time.monotonic() + delay
                _say(f"worker {pid} died after {lived:.1f} s ({why}); restarting in {delay:.1f} s")
            else:
                self.failures = 0
                self.restart_at = 0.0
                _say(f"worker {pid} died ({why}); restarting")
