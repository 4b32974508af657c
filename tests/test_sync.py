"""Mutex and WaitGroup (ports the behaviours of Go's sync/mutex_test.go and waitgroup_test.go)."""

from __future__ import annotations

import itertools

import pytest

import gonet
from gonet.testing import MockClock, gotest, wait_all_blocked

# --- Mutex ---------------------------------------------------------------------------------


@gotest
def test_mutex_mutual_exclusion_with_yields_inside() -> None:
    """Go's TestMutex: the critical section stays exclusive even when it parks inside."""
    mu = gonet.Mutex()
    state = {"inside": 0, "max_inside": 0, "counter": 0}
    ngo, iters = 8, 50

    def worker(w: int) -> None:
        for i in range(iters):
            mu.lock()
            state["inside"] += 1
            state["max_inside"] = max(state["max_inside"], state["inside"])
            c = state["counter"]
            if (i + w) % 3 == 0:
                gonet.gosched()
            else:
                gonet.sleep(0)
            state["counter"] = c + 1  # a lost update would show in the total
            state["inside"] -= 1
            mu.unlock()

    gs = [gonet.go(worker, w) for w in range(ngo)]
    for g in gs:
        g.join()
    assert state["max_inside"] == 1
    assert state["counter"] == ngo * iters
    assert not mu.locked()


@gotest(clock=MockClock)
def test_mutex_exclusion_across_virtual_sleeps() -> None:
    mu = gonet.Mutex()
    spans: list[tuple[float, float]] = []

    def worker() -> None:
        with mu:
            start = gonet.monotonic()
            gonet.sleep(1)
            spans.append((start, gonet.monotonic()))

    t0 = gonet.monotonic()
    gs = [gonet.go(worker) for _ in range(4)]
    for g in gs:
        g.join()
    # Serialised: four one-second sections end at t0+1 .. t0+4, and never overlap.
    assert [end - t0 for _, end in spans] == [1, 2, 3, 4]
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end


@gotest
def test_mutex_fifo_handoff_order() -> None:
    mu = gonet.Mutex()
    order: list[int] = []

    def waiter(i: int) -> None:
        mu.lock()
        order.append(i)
        mu.unlock()

    mu.lock()
    gs = []
    for i in range(6):
        gs.append(gonet.go(waiter, i))
        wait_all_blocked()  # each parks in lock() before the next arrives
    assert order == []
    assert gonet.stats()["waiting"].get("semacquire") == 6
    mu.unlock()
    # Hand-off: the lock went straight to the oldest waiter, so a latecomer cannot barge in.
    assert mu.locked()
    assert not mu.try_lock()
    for g in gs:
        g.join()
    assert order == [0, 1, 2, 3, 4, 5]
    assert not mu.locked()


@gotest
def test_mutex_lock_parks_goroutine_not_thread() -> None:
    mu = gonet.Mutex()
    ticks: list[int] = []
    mu.lock()
    locker = gonet.go(mu.lock)

    def ticker() -> None:
        for i in range(3):
            ticks.append(i)
            gonet.gosched()

    t = gonet.go(ticker)
    t.join()
    assert ticks == [0, 1, 2]  # others ran while `locker` waited
    assert not locker.done()
    mu.unlock()
    locker.join()
    assert mu.locked()  # now held by `locker`, which has ended: Go mutexes are not owned
    mu.unlock()
    assert not mu.locked()


@gotest
def test_mutex_context_manager() -> None:
    mu = gonet.Mutex()
    with mu as m:
        assert m is mu
        assert mu.locked()
    assert not mu.locked()
    with pytest.raises(KeyError), mu:
        raise KeyError("x")
    assert not mu.locked()  # released on the way out of an exception


@gotest
def test_mutex_unlock_of_unlocked_raises() -> None:
    mu = gonet.Mutex()
    with pytest.raises(RuntimeError, match="sync: unlock of unlocked mutex"):
        mu.unlock()
    mu.lock()
    mu.unlock()
    with pytest.raises(RuntimeError, match="sync: unlock of unlocked mutex"):
        mu.unlock()


@gotest
def test_mutex_try_lock() -> None:
    mu = gonet.Mutex()
    assert mu.try_lock()
    assert mu.locked()
    assert not mu.try_lock()
    got: list[bool] = []
    gonet.go(lambda: got.append(mu.try_lock())).join()
    assert got == [False]  # try_lock never parks
    mu.unlock()
    assert mu.try_lock()
    mu.unlock()


@gotest
def test_mutex_unlocked_by_another_goroutine() -> None:
    mu = gonet.Mutex()
    mu.lock()
    gonet.go(mu.unlock).join()
    assert not mu.locked()


def test_mutex_lock_twice_is_deadlock() -> None:
    def main() -> None:
        mu = gonet.Mutex()
        mu.lock()
        mu.lock()

    with pytest.raises(gonet.DeadlockError, match="all goroutines are asleep - deadlock!"):
        gonet.run(main)


# --- WaitGroup -----------------------------------------------------------------------------


@gotest(clock=MockClock)
def test_waitgroup_waits_until_zero() -> None:
    wg = gonet.WaitGroup()
    finished: list[int] = []
    t0 = gonet.monotonic()

    def worker(i: int) -> None:
        gonet.sleep(i)
        finished.append(i)
        wg.done()

    wg.add(3)
    gs = [gonet.go(worker, i) for i in (3, 1, 2)]
    wg.wait()
    assert sorted(finished) == [1, 2, 3]
    assert gonet.monotonic() - t0 == 3  # returned exactly when the last one was done
    for g in gs:
        g.join()


@gotest
def test_waitgroup_releases_every_waiter() -> None:
    """Go's TestWaitGroup: several waiters, all released by the last done()."""
    wg = gonet.WaitGroup()
    wg.add(4)
    released: list[int] = []

    def waiter(i: int) -> None:
        wg.wait()
        released.append(i)

    ws = [gonet.go(waiter, i) for i in range(5)]
    for _ in range(3):
        wg.done()
        wait_all_blocked()
        assert released == []  # not zero yet
    wg.done()
    for g in ws:
        g.join()
    assert sorted(released) == [0, 1, 2, 3, 4]


@gotest
def test_waitgroup_negative_counter_raises() -> None:
    wg = gonet.WaitGroup()
    with pytest.raises(ValueError, match="sync: negative WaitGroup counter"):
        wg.add(-1)
    with pytest.raises(ValueError, match="sync: negative WaitGroup counter"):
        wg.done()
    wg.add(2)
    with pytest.raises(ValueError, match="sync: negative WaitGroup counter"):
        wg.add(-3)
    # The failed add left the counter alone: two done() calls bring it to zero.
    wg.done()
    wg.done()
    wg.wait()
    with pytest.raises(ValueError, match="sync: negative WaitGroup counter"):
        wg.done()


@gotest
def test_waitgroup_wait_at_zero_returns_at_once() -> None:
    wg = gonet.WaitGroup()
    ran: list[str] = []
    g = gonet.go(ran.append, "other")
    wg.wait()  # counter is zero: must not park (the other goroutine has not run)
    assert ran == []
    g.join()
    assert ran == ["other"]


@gotest
def test_waitgroup_add_with_n() -> None:
    wg = gonet.WaitGroup()
    wg.add(5)
    g = gonet.go(wg.wait)
    wait_all_blocked()
    assert not g.done()
    assert gonet.stats()["waiting"].get("semacquire") == 1
    wg.add(-5)
    g.join()


@gotest
def test_waitgroup_reuse() -> None:
    """Go's TestWaitGroup runs the same WaitGroup through several rounds."""
    wg = gonet.WaitGroup()
    for rnd in range(4):
        n = rnd + 2
        wg.add(n)
        done: list[int] = []

        def worker(i: int, done: list[int] = done) -> None:
            gonet.sleep(0)
            done.append(i)
            wg.done()

        gs = [gonet.go(worker, i) for i in range(n)]
        wg.wait()
        assert sorted(done) == list(range(n))
        for g in gs:
            g.join()


# --- shutdown ------------------------------------------------------------------------------


@pytest.mark.leaves_goroutines  # tests run()'s own clean-up
def test_goroutines_blocked_on_sync_are_stopped_at_shutdown() -> None:
    log: list[str] = []
    mu = gonet.Mutex()
    wg = gonet.WaitGroup()

    def locker(i: int) -> None:
        try:
            mu.lock()
            log.append(f"locked {i}")  # must never happen: main never unlocks
        finally:
            log.append(f"locker {i} stopped")

    def waiter() -> None:
        try:
            wg.wait()
            log.append("waited")
        finally:
            log.append("waiter stopped")

    def main() -> None:
        mu.lock()
        wg.add(1)
        gonet.go(locker, 1)
        gonet.go(locker, 2)
        gonet.go(waiter)
        wait_all_blocked()
        # main returns while three goroutines are parked on the mutex and the WaitGroup

    gonet.run(main)
    assert sorted(log) == ["locker 1 stopped", "locker 2 stopped", "waiter stopped"]
