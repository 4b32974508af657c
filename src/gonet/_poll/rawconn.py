"""Waiting on descriptors gonet does not own (Go's ``syscall.RawConn`` / ``internal/poll.RawConn``).

Go's ``RawConn.Read(f)`` calls ``f(fd)`` and, while ``f`` reports that the
descriptor would block, waits on the fd's pollDesc and calls it again. gonet's
own sockets do that inside :class:`gonet._poll.fd_unix.FD`; ``gonet.patch``
needs the same wait for descriptors that belong to someone else — a
``socket.socket`` created by a library, libpq's connection, a selector's epoll
descriptor. This module is that entry point, and the only one: a
:class:`RawConn` registers a foreign descriptor with one runtime's netpoller
and :meth:`RawConn.wait` parks the calling goroutine until the descriptor is
readable (or writable) or a deadline passes. The caller does the syscall
itself, before waiting (try first, wait on ``EAGAIN``, retry: the loop of
``fd_unix.py``), so a stale READY latch only costs one extra try.

Borrowed descriptors
--------------------
A RawConn never closes its descriptor. ``pollDesc.user`` is the RawConn, whose
``force_close`` (called by ``run()``'s shutdown for every descriptor still
registered) only unregisters, and whose ``borrowed`` flag tells the leak
checks to ignore it: a connection pool may keep a socket open across
``run()`` calls.

One waiter per direction
------------------------
A pollDesc holds one parked goroutine per direction (``runtime: double
wait``). Threads may share a socket and call ``recv`` at the same time, and so
may goroutines here: the second waiter queues on a per-direction semaphore and,
once it holds it, returns *without* waiting so that its caller tries the
syscall again (the first waiter's wake-up may have been for data that is
still there; with edge-triggered epoll no second edge would come).

Transient registrations
-----------------------
:func:`wait_fd` registers, waits once and unregisters: for descriptors whose
closing gonet never sees (libpq's socket, a temporary epoll of
``select.select``). epoll reports a descriptor that is already ready at
registration time, so nothing is lost between the caller's try and the wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._runtime.g import getsched
from .._runtime.netpoll import POLL_ERR_CLOSING, POLL_ERR_TIMEOUT, PollDesc
from .._runtime.sema import Sema

if TYPE_CHECKING:
    from .._runtime.proc import Runtime

__all__ = ["WAIT_CLOSED", "WAIT_OK", "WAIT_TIMEOUT", "RawConn", "lookup", "open_raw", "wait_fd"]

# Outcomes of RawConn.wait.
WAIT_OK = 0
WAIT_CLOSED = POLL_ERR_CLOSING
WAIT_TIMEOUT = POLL_ERR_TIMEOUT


class RawConn:
    """RawConn is one runtime's registration of a descriptor it borrows (never closes)."""

    __slots__ = ("__weakref__", "fd", "owner", "pd", "rdrained", "rsema", "rt", "shadow", "wsema")

    #: Leak checks skip pollDescs whose user is borrowed (see the module docstring).
    borrowed = True

    def __init__(self, rt: Runtime, fd: int, owner: Any) -> None:
        self.rt = rt
        self.fd = fd
        #: What the descriptor belongs to (e.g. a weak reference to the socket object).
        self.owner = owner
        #: A helper object of the owner's (gonet.patch keeps a syscall twin of a socket here).
        self.shadow: Any = None
        #: The owner's last stream read was short: the receive queue was empty then
        #: (fd_unix.py's rule; the caller may wait before trying the next read).
        self.rdrained = False
        self.rsema: Sema | None = None
        self.wsema: Sema | None = None
        self.pd: PollDesc | None = rt.netpoll.open(fd, self)

    def __repr__(self) -> str:
        return f"<RawConn fd={self.fd} borrowed>"

    def wait(self, write: bool, deadline: float | None) -> int:
        """wait parks until the fd is readable (``write`` False) or writable; returns an outcome.

        ``deadline`` is an absolute time on the runtime's clock (``None``: none).
        Returns ``WAIT_OK`` (try the syscall again), ``WAIT_TIMEOUT`` or
        ``WAIT_CLOSED`` (:meth:`unblock` was called). Must be called from a
        goroutine of this RawConn's runtime.
        """
        pd = self.pd
        rt = self.rt
        np = rt.netpoll
        if pd is None or np.is_closing(pd):
            return WAIT_CLOSED
        # One waiter per direction (see the module docstring): a goroutine that
        # finds the side taken queues on the semaphore and, once through,
        # returns without waiting so that its caller tries the syscall first.
        sema = self.wsema if write else self.rsema
        if sema is None:
            sema = Sema(1)
            if write:
                self.wsema = sema
            else:
                self.rsema = sema
        if sema.count == 0:
            sema.acquire(rt)
            sema.release(rt)
            return WAIT_CLOSED if np.is_closing(pd) else WAIT_OK
        sema.count = 0  # uncontended acquire, inlined
        try:
            if deadline is None:
                return np.wait(pd, write)
            return np.wait_until(pd, write, deadline)
        finally:
            sema.release(rt)

    def unblock(self) -> None:
        """unblock wakes goroutines parked in :meth:`wait` with ``WAIT_CLOSED`` (before close)."""
        pd = self.pd
        if pd is not None and not self.rt.netpoll.is_closing(pd):
            self.rt.netpoll.unblock(pd)

    def force_close(self) -> None:
        """force_close unregisters the descriptor, leaving it open (the runtime's shutdown)."""
        pd = self.pd
        if pd is None:
            return
        self.pd = None
        self.rt.netpoll.evict(pd)
        shadow, self.shadow = self.shadow, None
        if shadow is not None and hasattr(shadow, "detach"):
            shadow.detach()

    def close(self) -> None:
        """close wakes any waiter and unregisters the descriptor; it stays open."""
        self.unblock()
        self.force_close()


def lookup(rt: Runtime, fd: int) -> RawConn | None:
    """lookup returns ``rt``'s RawConn for ``fd``, or None if it has none."""
    fdtab = rt.netpoll.fdtab
    if fd < len(fdtab):
        pd = fdtab[fd]
        if pd is not None:
            user = pd.user
            if type(user) is RawConn:
                return user
    return None


def open_raw(rt: Runtime, fd: int, owner: Any) -> RawConn:
    """open_raw registers ``fd`` with ``rt``'s netpoller as a borrowed descriptor.

    A stale registration of the same number (a descriptor closed behind the
    netpoller's back, then reused) is dropped first. Raises ``RuntimeError``
    if gonet itself owns a socket with that number.
    """
    fdtab = rt.netpoll.fdtab
    if fd < len(fdtab) and fdtab[fd] is not None:
        pd = fdtab[fd]
        if type(pd.user) is not RawConn:  # type: ignore[union-attr]
            raise RuntimeError(f"gonet: fd {fd} is a gonet connection; use its own API")
        pd.user.close()  # type: ignore[union-attr]
    return RawConn(rt, fd, owner)


def wait_fd(fd: int, write: bool, deadline: float | None) -> int:
    """wait_fd parks the calling goroutine until ``fd`` is ready once; registers it only meanwhile.

    For descriptors whose lifetime gonet cannot follow. Returns ``WAIT_OK`` or
    ``WAIT_TIMEOUT``.
    """
    rt: Runtime = getsched()  # type: ignore[assignment]
    rc = open_raw(rt, fd, None)
    try:
        return rc.wait(write, deadline)
    finally:
        rc.close()
