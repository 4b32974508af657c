"""The runtime: goroutines, scheduling order, join, sleep, blocking, shutdown, deadlock."""

from __future__ import annotations

import os
import threading

import pytest

import gonet
from gonet.testing import MockClock, gotest, wait_all_blocked


def test_run_returns_main_result() -> None:
    assert gonet.run(lambda a, b=0: a + b, 2, b=3) == 5


def test_run_reraises_main_exception() -> None:
    def main() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        gonet.run(main)


def test_go_outside_runtime_raises() -> None:
    with pytest.raises(RuntimeError):
        gonet.go(print)


def test_nested_run_raises() -> None:
    def main() -> None:
        with pytest.raises(RuntimeError, match=r"already running|while a runtime"):
            gonet.run(lambda: None)

    gonet.run(main)


@gotest
def test_fifo_order_and_ids() -> None:
    order: list[int] = []
    gs = [gonet.go(order.append, i) for i in range(5)]
    assert gonet.current().id == 1
    assert [g.id for g in gs] == [2, 3, 4, 5, 6]
    for g in gs:
        g.join()
    assert order == [0, 1, 2, 3, 4]
    assert all(g.done() for g in gs)


@gotest
def test_gosched_interleaves() -> None:
    out: list[str] = []

    def worker(name: str) -> None:
        for i in range(3):
            out.append(f"{name}{i}")
            gonet.gosched()

    a, b = gonet.go(worker, "a"), gonet.go(worker, "b")
    a.join()
    b.join()
    assert out == ["a0", "b0", "a1", "b1", "a2", "b2"]


@gotest
def test_join_returns_result_and_reraises() -> None:
    assert gonet.go(lambda: 7).join() == 7

    def bad() -> None:
        raise ValueError("nope")

    g = gonet.go(bad)
    with pytest.raises(ValueError, match="nope"):
        g.join()
    with pytest.raises(RuntimeError):
        gonet.current().join()


@gotest(clock=MockClock)
def test_join_timeout() -> None:
    g = gonet.go(gonet.sleep, 10)
    t0 = gonet.monotonic()
    with pytest.raises(TimeoutError):
        g.join(timeout=1)
    assert gonet.monotonic() - t0 == pytest.approx(1.0)
    g.join()
    assert gonet.monotonic() - t0 == pytest.approx(10.0)


def test_uncaught_exception_is_printed_and_runtime_keeps_running(
        capfd: pytest.CaptureFixture[str]) -> None:
    def main() -> str:
        g = gonet.go(lambda: 1 / 0)
        gonet.sleep(0)
        gonet.sleep(0)
        assert g.done()
        return "alive"

    assert gonet.run(main) == "alive"
    err = capfd.readouterr().err
    assert "goroutine 2" in err
    assert "ZeroDivisionError" in err


@gotest(clock=MockClock)
def test_sleep_ordering_virtual_time() -> None:
    woke: list[float] = []
    t0 = gonet.monotonic()

    def sleeper(d: float) -> None:
        gonet.sleep(d)
        woke.append(round(gonet.monotonic() - t0, 6))

    gs = [gonet.go(sleeper, d) for d in (3, 1, 2)]
    for g in gs:
        g.join()
    assert woke == [1, 2, 3]


@gotest
def test_blocking_runs_off_thread_while_others_run() -> None:
    started = threading.Event()
    release = threading.Event()
    main_thread = threading.get_ident()

    def slow() -> int:
        started.set()
        assert threading.get_ident() != main_thread
        release.wait(10)
        return 42

    ticks = []

    def ticker() -> None:
        gonet.blocking(started.wait, 10)
        for i in range(3):
            ticks.append(i)
            gonet.sleep(0)
        release.set()

    t = gonet.go(ticker)
    assert gonet.blocking(slow) == 42
    t.join()
    assert ticks == [0, 1, 2]

    with pytest.raises(OSError):
        gonet.blocking(os.stat, "/nonexistent/definitely")


def test_deadlock_detected() -> None:
    def main() -> None:
        gonet.Chan().recv()

    with pytest.raises(gonet.DeadlockError, match="all goroutines are asleep - deadlock!"):
        gonet.run(main)


@pytest.mark.leaves_goroutines  # tests run()'s own clean-up
def test_shutdown_runs_finally_blocks_and_skips_unstarted() -> None:
    log: list[str] = []

    def parked() -> None:
        try:
            gonet.Chan().recv()
        finally:
            log.append("finally")

    def never_started() -> None:
        log.append("started")

    def main() -> None:
        gonet.go(parked)
        gonet.sleep(0)
        gonet.go(never_started)

    gonet.run(main)
    assert log == ["finally"]


@pytest.mark.leaves_goroutines  # tests run()'s own clean-up
def test_shutdown_finally_may_park() -> None:
    log: list[str] = []

    def parked() -> None:
        try:
            gonet.sleep(100)
        finally:
            gonet.sleep(0)  # parking again inside finally must not break shutdown
            log.append("done")

    def main() -> None:
        gonet.go(parked)
        gonet.sleep(0)

    gonet.run(main)
    assert log == ["done"]


def test_runtimes_on_separate_threads() -> None:
    results: dict[str, object] = {}

    def body(name: str) -> None:
        def main() -> str:
            gonet.sleep(0.01)
            return name

        results[name] = gonet.run(main)

    ts = [threading.Thread(target=body, args=(n,)) for n in "ab"]
    for t in ts:
        t.start()
    for t in ts:
        t.join(10)
    assert results == {"a": "a", "b": "b"}


def test_goroutine_of_other_runtime_gets_runtime_error() -> None:
    """Channels and conns belong to one runtime; another thread's goroutine gets RuntimeError."""
    ch: gonet.Chan[int] = gonet.Chan()
    errors: list[BaseException] = []

    def other_thread(conn: gonet.Conn) -> None:
        def main() -> None:
            for op in (lambda: ch.send(1), lambda: conn.read(10)):
                try:
                    op()
                except RuntimeError as e:
                    errors.append(e)

        gonet.run(main)

    def main() -> None:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        c = gonet.dial("tcp", str(ln.addr))
        s = ln.accept()
        receiver = gonet.go(ch.recv_ok)
        wait_all_blocked()
        t = threading.Thread(target=other_thread, args=(s,))
        t.start()
        gonet.blocking(t.join, 10)
        ch.close()
        assert receiver.join() == (None, False)
        for x in (c, s, ln):
            x.close()

    gonet.run(main)
    assert len(errors) == 2, errors
    assert all("another thread" in str(e) for e in errors), errors


def test_nofile_soft_limit_raised() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    try:
        def main() -> int:
            return resource.getrlimit(resource.RLIMIT_NOFILE)[0]

        assert gonet.run(main) == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.leaves_goroutines  # tests run()'s own clean-up
def test_run_leaves_no_descriptor_behind() -> None:
    from gonet.testing import open_fds

    before = open_fds()

    def main() -> None:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        c = gonet.dial("tcp", str(ln.addr))
        s = ln.accept()
        gonet.go(s.read)  # left parked on purpose: run() must stop it and close everything
        del c

    gonet.run(main)
    assert open_fds() == before
