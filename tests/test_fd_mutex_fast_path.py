"""fdMutex: after contention ends, the uncontended fast path is taken again (issue 7).

The compiled build once had a cliff: as soon as an FD's read wait queue had
been created (two readers at once), every later unlock took the slow path for
the rest of the connection's life. Now the unlock that leaves a wait queue
empty drops it, and the uncontended unlock tests only that the queue is
``None`` (a C field, no Python call). ``SLOW_PATH`` counts the contended paths
of ``rwlock``/``rwunlock``; both builds run this.
"""

from __future__ import annotations

import pytest

import gonet
from gonet._poll.fd_mutex import SLOW_PATH, FdMutex
from gonet._runtime.g import getsched
from gonet._runtime.sema import WaitQueue
from gonet.testing import gotest, wait_all_blocked
from netutil import pipe


def _slow() -> int:
    return SLOW_PATH["rwlock"] + SLOW_PATH["rwunlock"]


@gotest
def test_fast_path_returns_after_read_contention() -> None:
    a, b = pipe()
    try:
        got: gonet.Chan[bytes] = gonet.Chan(2)

        def reader() -> None:
            got.send(b.read(10))

        before = _slow()
        gonet.go(reader)
        gonet.go(reader)  # queues on the read lock: the wait queue is created
        wait_all_blocked()
        assert _slow() > before  # the second reader took the contended path
        a.write(b"x")
        first = got.recv()
        a.write(b"y")
        second = got.recv()
        assert sorted([first, second]) == [b"x", b"y"]
        assert b._pfd.fdmu.rwait is None  # the hand-off that emptied it dropped the queue

        # Contention is over: the next reads and writes take the uncontended path.
        after = _slow()
        for i in range(20):
            a.write(b"%d" % i)
            assert b.read(10) == b"%d" % i
        assert _slow() == after
    finally:
        a.close()
        b.close()


@gotest
def test_fast_path_returns_after_write_contention() -> None:
    a, b = pipe()
    try:
        done: gonet.Chan[int] = gonet.Chan(2)
        big = b"z" * (8 << 20)  # more than the socket buffers: the first writer parks

        def writer() -> None:
            done.send(a.write(big))

        before = _slow()
        gonet.go(writer)
        gonet.go(writer)
        wait_all_blocked()
        assert _slow() > before
        n = 0
        while n < 2 * len(big):
            n += len(b.read(1 << 20))
        assert done.recv() == len(big) and done.recv() == len(big)
        assert a._pfd.fdmu.wwait is None

        after = _slow()
        for i in range(20):
            a.write(b"%d" % i)
            assert b.read(10) == b"%d" % i
        assert _slow() == after
    finally:
        a.close()
        b.close()


def _queue(mu: FdMutex, read: bool) -> WaitQueue | None:
    return mu.rwait if read else mu.wwait


@gotest
@pytest.mark.parametrize("read", [True, False])
def test_wait_queue_is_dropped_by_the_unlock_that_empties_it(read: bool) -> None:
    """Hand-offs keep FIFO order; the one to the last waiter drops the queue; then the fast path."""
    s = getsched()
    mu = FdMutex()
    assert mu.rwlock(s, read)
    order: list[int] = []

    def waiter(i: int) -> None:
        assert mu.rwlock(s, read)  # handed over by the unlock below
        order.append(i)

    gs = [gonet.go(waiter, i) for i in range(2)]
    wait_all_blocked()
    assert len(_queue(mu, read) or ()) == 2
    assert not mu.rwunlock(s, read)  # to waiter 0; waiter 1 still queued: the queue stays
    assert len(_queue(mu, read) or ()) == 1
    gs[0].join()
    assert not mu.rwunlock(s, read)  # waiter 0's lock, to waiter 1: the queue is empty
    assert _queue(mu, read) is None
    gs[1].join()
    assert order == [0, 1]
    before = _slow()
    assert not mu.rwunlock(s, read)  # waiter 1's lock: nobody waits, the uncontended path
    assert _slow() == before
    assert (mu.refs, mu.rlocked, mu.wlocked) == (0, False, False)


@gotest
def test_an_empty_queue_left_behind_is_dropped_by_the_next_unlock() -> None:
    """A queue that emptied without an unlock (its waiter left) costs one slow unlock, then none."""
    s = getsched()
    mu = FdMutex()
    assert mu.rwlock(s, True)
    mu.rwait = WaitQueue()  # what a waiter thrown out of its park leaves: an empty queue
    before = _slow()
    assert not mu.rwunlock(s, True)
    assert _slow() == before + 1 and mu.rwait is None
    assert mu.rwlock(s, True)
    assert not mu.rwunlock(s, True)
    assert _slow() == before + 1
