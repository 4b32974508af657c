"""fdMutex: after contention ends, the uncontended fast path is taken again (issue 7).

The compiled build once had a cliff: as soon as an FD's read wait queue had
been created (two readers at once), every later unlock took the slow path for
the rest of the connection's life. ``SLOW_PATH`` counts the contended paths
of ``rwlock``/``rwunlock``; both builds run this.
"""

from __future__ import annotations

import gonet
from gonet._poll.fd_mutex import SLOW_PATH
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

        after = _slow()
        for i in range(20):
            a.write(b"%d" % i)
            assert b.read(10) == b"%d" % i
        assert _slow() == after
    finally:
        a.close()
        b.close()
