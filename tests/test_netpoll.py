"""The netpoller's invariants: register once, remove once, stale events and timers never reach a
new owner of a reused fd number, READY latching, HUP waking both sides (DESIGN.md)."""

from __future__ import annotations

import socket
import struct
from typing import Any

import pytest

import gonet
from gonet._runtime.g import getsched
from gonet._runtime.netpoll_epoll import EpollPoller
from gonet.testing import MockClock, gotest, wait_all_blocked


def _pair() -> tuple[gonet.Conn, gonet.Conn, gonet.Listener]:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    acc = gonet.go(ln.accept)
    c = gonet.dial("tcp", str(ln.addr))
    return c, acc.join(), ln


class _Counting:
    """Counts register/unregister calls on this runtime's epoll backend."""

    def __init__(self, backend: EpollPoller) -> None:
        self.registered: list[int] = []
        self.unregistered: list[int] = []
        self._backend = backend
        self._reg, self._unreg = backend.register, backend.unregister

    def __enter__(self) -> _Counting:
        def register(fd: int) -> None:
            self.registered.append(fd)
            self._reg(fd)

        def unregister(fd: int) -> None:
            self.unregistered.append(fd)
            self._unreg(fd)

        # EpollPoller is plain Python in both builds: patch the instance's slots' class.
        self._saved = (EpollPoller.register, EpollPoller.unregister)
        EpollPoller.register = lambda _self, fd: register(fd)  # type: ignore[method-assign]
        EpollPoller.unregister = lambda _self, fd: unregister(fd)  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        EpollPoller.register, EpollPoller.unregister = self._saved  # type: ignore[method-assign]


@gotest
def test_each_fd_registered_once_and_removed_once_whatever_the_traffic() -> None:
    backend = getsched().netpoll.backend  # type: ignore[attr-defined]
    with _Counting(backend) as count:
        c, s, ln = _pair()
        fds = {c.fileno(), s.fileno(), ln.fileno()}
        echo = gonet.go(lambda: [s.write(s.read(100)) for _ in range(500)])
        for i in range(500):
            msg = b"%d" % i
            c.write(msg)
            assert c.read(100) == msg  # parks and wakes 500 times: no epoll_ctl for that
        echo.join()
        assert sorted(count.registered) == sorted(fds)
        assert count.unregistered == []
        for x in (c, s, ln):
            x.close()
        assert sorted(count.unregistered) == sorted(fds)


@gotest(clock=MockClock)
def test_stale_deadline_timer_never_reaches_the_new_owner_of_a_reused_fd() -> None:
    rt: Any = getsched()
    a, a_peer, ln = _pair()
    old_fd = a.fileno()
    old_pd = rt.netpoll.fdtab[old_fd]
    a.set_read_deadline(gonet.monotonic() + 5)  # an armed timer owned by a's pollDesc
    ln2 = gonet.listen("tcp", "127.0.0.1:0")  # before the close: the conns get a's number
    a.close()
    # The next socket gets the lowest free descriptor: the one a had.
    acc = gonet.go(ln2.accept)
    b = gonet.dial("tcp", str(ln2.addr))
    b_peer = acc.join()
    reused = [x for x in (b, b_peer) if x.fileno() == old_fd]
    assert reused, "the fd number was not reused; the test needs it to be"
    new = reused[0]
    new_pd = rt.netpoll.fdtab[old_fd]
    assert new_pd is not old_pd and new_pd.seq > old_pd.seq
    gonet.sleep(10)  # a's deadline passes (virtual time): its timer must not touch new_pd
    assert new_pd.rd == 0.0 and new_pd.wd == 0.0
    other = b_peer if new is b else b
    other.write(b"still fine")
    assert new.read() == b"still fine"
    for x in (a_peer, ln, b, b_peer, ln2):
        x.close()


@gotest
def test_ready_latch_keeps_an_edge_that_arrives_while_the_reader_is_busy() -> None:
    c, s, ln = _pair()
    s.write(b"first")
    assert c.read(1000) == b"first"  # a short read: the next read parks without probing
    wrote = gonet.Chan()

    def writer() -> None:
        s.write(b"second")  # its edge lands while the reader is not parked
        wrote.send(True)

    gonet.go(writer)
    wrote.recv()
    wait_all_blocked()  # the netpoller has seen the edge: it is latched READY
    rt: Any = getsched()
    pd = rt.netpoll.fdtab[c.fileno()]
    from gonet._runtime.netpoll import READY

    assert pd.rg is READY
    assert c.read(1000) == b"second"
    for x in (c, s, ln):
        x.close()


@gotest
def test_hangup_wakes_the_parked_reader_and_the_parked_writer() -> None:
    c, s, ln = _pair()
    c.set_nodelay(True)
    # Fill c's send path so a writer parks; the peer never reads.
    s_sock = socket.socket(fileno=s.fileno())  # option setting only; detached below
    try:
        s_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    finally:
        s_sock.detach()
    outcome: dict[str, BaseException | None] = {}

    def reader() -> None:
        try:
            c.read()
            outcome["read"] = None
        except OSError as e:
            outcome["read"] = e

    def writer() -> None:
        try:
            while True:
                c.write(b"x" * 65536)
        except OSError as e:
            outcome["write"] = e

    r, w = gonet.go(reader), gonet.go(writer)
    wait_all_blocked()
    assert gonet.stats()["waiting"].get("IO wait", 0) >= 2  # both parked on c
    # The peer resets: one event carries HUP/ERR, and both sides must wake.
    s_sock = socket.socket(fileno=s.fileno())
    try:
        s_sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        s_sock.detach()
    s.close()
    r.join(timeout=10)
    w.join(timeout=10)
    assert isinstance(outcome["read"], ConnectionResetError) or outcome["read"] is None
    assert isinstance(outcome["write"], (ConnectionResetError, BrokenPipeError))
    c.close()
    ln.close()


@pytest.mark.parametrize("n", [1, 7])
def test_a_run_closes_its_epoll_and_eventfd(n: int) -> None:
    from gonet.testing import open_fds

    before = open_fds()
    for _ in range(n):
        gonet.run(lambda: gonet.sleep(0))
    assert open_fds() == before
