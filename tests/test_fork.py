"""fork: a child abandons the inherited runtime and can run its own (issue 6, item 6)."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

import pytest

import gonet
from gonet.testing import wait_all_blocked

WAIT = 30.0


def echo_server(ln: gonet.Listener, n: int) -> None:
    """echo_server accepts ``n`` connections, echoes each in its own goroutine, waits for all."""
    def echo(c: gonet.Conn) -> None:
        with c:
            while data := c.read(100):
                c.write(data)

    handlers = [gonet.go(echo, ln.accept()) for _ in range(n)]
    for h in handlers:
        h.join()


def dial_and_echo(addr: str, rounds: int = 20) -> None:
    """dial_and_echo runs a fresh runtime that dials ``addr`` and checks ``rounds`` echoes."""
    def main() -> None:
        with gonet.dial("tcp", addr, timeout=10) as c:
            c.set_deadline(gonet.monotonic() + 10)
            for i in range(rounds):
                msg = f"ping {i}".encode()
                c.write(msg)
                got = b""
                while len(got) < len(msg):
                    chunk = c.read(100)
                    assert chunk, "EOF"
                    got += chunk
                assert got == msg

    gonet.run(main)


def in_child(body: Callable[[], None]) -> int:
    """in_child forks; the child runs ``body`` and exits 0 (1 on an exception); returns its status."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            body()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    _, status = gonet.blocking(os.waitpid, pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_fork_inside_a_goroutine_child_runs_its_own_runtime() -> None:
    def main() -> None:
        with gonet.listen("tcp", "127.0.0.1:0") as ln:
            addr = str(ln.addr)
            server = gonet.go(echo_server, ln, 3)
            c = gonet.dial("tcp", addr)
            wait_all_blocked()

            def child() -> None:
                # The inherited objects refuse, naming the abandoned runtime ...
                with pytest.raises(RuntimeError, match="abandoned in a forked child"):
                    c.write(b"x")
                with pytest.raises(RuntimeError, match="no runtime on this thread"):
                    gonet.sleep(0)
                # ... close() closes only the child's copy of the descriptor ...
                c.close()
                ln.close()
                # ... and the child's own runtime works, again and again.
                dial_and_echo(addr)
                dial_and_echo(addr)

            # The parent's conn counts as the server's first connection.
            c.write(b"parent")
            assert c.read(100) == b"parent"
            assert in_child(child) == 0
            # The parent's conn and listener are untouched by the child's close().
            c.write(b"still here")
            assert c.read(100) == b"still here"
            c.close()
            server.join(timeout=WAIT)

    gonet.run(main)


def test_fork_from_outside_any_runtime_closes_inherited_runtime_descriptors() -> None:
    ready = threading.Event()
    stop = threading.Event()
    fds: list[int] = []

    def other_thread() -> None:
        def main() -> None:
            rt: Any = gonet._getsched()
            fds.extend([rt.netpoll.epfd, rt.netpoll.wakefd])
            ready.set()
            gonet.blocking(stop.wait, WAIT)

        gonet.run(main)

    t = threading.Thread(target=other_thread)
    t.start()
    try:
        assert ready.wait(WAIT)

        def child() -> None:
            for fd in fds:
                with pytest.raises(OSError):
                    os.fstat(fd)  # closed in the child
            dial_and_echo_to_self()

        def parent_main() -> int:
            return in_child(child)

        assert gonet.run(parent_main) == 0
    finally:
        stop.set()
        t.join(WAIT)
    for fd in fds:
        with pytest.raises(OSError):
            os.fstat(fd)  # and closed in the parent by its shutdown


def dial_and_echo_to_self() -> None:
    """dial_and_echo_to_self runs a runtime with its own listener and one echo through it."""
    def main() -> None:
        with gonet.listen("tcp", "127.0.0.1:0") as ln:
            server = gonet.go(echo_server, ln, 1)
            with gonet.dial("tcp", str(ln.addr)) as c:
                c.write(b"self")
                assert c.read(100) == b"self"
            server.join()

    gonet.run(main)


def _mp_child(addr: str) -> None:
    dial_and_echo(addr)


def test_multiprocessing_fork_start_method_from_a_goroutine() -> None:
    ctx = multiprocessing.get_context("fork")

    def main() -> list[int | None]:
        with gonet.listen("tcp", "127.0.0.1:0") as ln:
            n = 4
            server = gonet.go(echo_server, ln, n)
            procs = [ctx.Process(target=_mp_child, args=(str(ln.addr),)) for _ in range(n)]
            for p in procs:
                p.start()
            for p in procs:
                gonet.blocking(p.join, WAIT)
            server.join(timeout=WAIT)
            return [p.exitcode for p in procs]

    assert gonet.run(main) == [0, 0, 0, 0]


def test_child_of_a_runtime_with_signal_relays_gets_the_old_handlers_back() -> None:
    import signal

    def main() -> int:
        ch: gonet.Chan[Any] = gonet.Chan(1)
        gonet.signal_notify(ch, signal.SIGUSR1)
        try:
            def child() -> None:
                assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
                assert signal.set_wakeup_fd(-1) == -1
                dial_and_echo_to_self()

            return in_child(child)
        finally:
            gonet.signal_stop(ch)

    assert gonet.run(main) == 0


def _square_in_a_runtime(i: int) -> int:
    def main() -> int:
        ch: gonet.Chan[int] = gonet.Chan(1)
        gonet.go(ch.send, i * i)
        return ch.recv()

    return int(gonet.run(main))


def test_multiprocessing_pool_workers_each_run_a_runtime() -> None:
    # Pool workers are forked from the calling goroutine and, later, from the
    # pool's own threads: every child gets a clean slate either way.
    ctx = multiprocessing.get_context("fork")

    def main() -> list[int]:
        with ctx.Pool(3) as pool:
            return gonet.blocking(pool.map, _square_in_a_runtime, range(12))  # type: ignore[no-any-return]

    assert gonet.run(main) == [i * i for i in range(12)]
