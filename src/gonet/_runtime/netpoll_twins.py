"""The plain-Python twins of netpoll.pxd's inline functions.

``epoll_ms``, ``netpollready``, ``prepare`` and ``wait_io``.

netpoll.py imports them in the plain build; the compiled one inlines the
``.pxd`` bodies instead and never imports this module.
"""

# epoll_ms, netpollready, prepare and wait_io are defined in netpoll.pxd as
# ``cdef inline`` functions. epoll_ms and netpollready are inlined into
# Netpoll.poll (netpollready runs once per epoll event: out of line it cost ~30
# instructions per event).
# prepare and wait_io are inlined into the compiled poll.FD's read and write
# loops: a parked goroutine's C stack is copied out at every switch and kept
# while it is parked, so each C frame between the user's call and the switch
# costs memory per connection. The plain-Python twins here are the same
# statements (tests/test_pxd_twins.py parses both and compares them), so each
# behaviour has one definition.

from __future__ import annotations

from math import ceil
from typing import TYPE_CHECKING, Any

from .netpoll import (
    _HUP_EVENTS,
    _MAX_WAIT,
    _POLL_ERR_CLOSING,
    _POLL_ERR_TIMEOUT,
    _POLL_NO_ERROR,
    _READ_EVENTS,
    _READY,
    _RUNNABLE,
    _WAIT_IO,
    _WAITING,
    _WRITE_EVENTS,
)

if TYPE_CHECKING:
    from .netpoll import Netpoll, PollDesc

__all__ = ["epoll_ms", "netpollready", "prepare", "wait_io"]



def epoll_ms(timeout: float) -> int:
    """epoll_ms is ``epoll_wait``'s timeout for ``timeout`` seconds: ms rounded up, -1 to block.

    Capped at the backend's ``MAX_WAIT``, as its ``poll`` caps the seconds.
    """
    if timeout < 0.0:
        return -1
    if timeout > _MAX_WAIT:
        timeout = _MAX_WAIT
    return ceil(timeout * 1000.0)

def netpollready(o: Any, ev: int, runq: Any) -> None:
    """netpollready delivers the epoll events ``ev`` to ``pd`` (Go's ``netpollready``).

    What an edge does to a pollDesc: a hang-up or an error is recorded (sticky),
    and each side the events concern is made READY
    (``netpollunblock(pd, mode, ioready=true)``); a goroutine parked on that
    side becomes runnable and consumes the READY when it runs.
    """
    pd = o
    if ev & _HUP_EVENTS:
        pd.hup = True
    if ev & _READ_EVENTS:
        o = pd.rg
        if o is not _READY:
            pd.rg = _READY
            if o is not None:
                g = o
                if g.parkseq == pd.rtoken and g.status == _WAITING:  # on this very wait
                    g.parkseq += 1
                    g.status = _RUNNABLE
                    runq.append(g)
    if ev & _WRITE_EVENTS:
        o = pd.wg
        if o is not _READY:
            pd.wg = _READY
            if o is not None:
                g = o
                if g.parkseq == pd.wtoken and g.status == _WAITING:
                    g.parkseq += 1
                    g.status = _RUNNABLE
                    runq.append(g)


def prepare(np: Netpoll, pd: PollDesc, write: bool, park_first: bool) -> int:
    """prepare readies ``pd`` for a read (or write) syscall: Go's ``runtime_pollReset``.

    Returns an error code (``POLL_ERR_CLOSING``, ``POLL_ERR_TIMEOUT``) or
    ``POLL_NO_ERROR``, after dropping a latched READY: the syscall about to
    run looks anyway. ``park_first`` (a stream read after a short read,
    see poll.FD) waits for readiness first instead, unless the peer hung
    up: a hang-up makes reads return at once without a new edge.
    """
    if pd.closing:
        return _POLL_ERR_CLOSING
    if write:
        if pd.wd < 0.0:
            return _POLL_ERR_TIMEOUT
        if pd.wg is _READY:
            pd.wg = None
        return _POLL_NO_ERROR
    if pd.rd < 0.0:
        return _POLL_ERR_TIMEOUT
    if park_first and not pd.hup:
        return wait_io(np, pd, False)
    if pd.rg is _READY:
        pd.rg = None
    return _POLL_NO_ERROR

def wait_io(np: Netpoll, pd: PollDesc, write: bool) -> int:
    """wait_io parks until ``pd`` may be ready: Go's ``poll_runtime_pollWait`` and ``netpollblock``.

    ``POLL_NO_ERROR``: retry the syscall; ``POLL_ERR_CLOSING`` /
    ``POLL_ERR_TIMEOUT``: fail. A wake-up with neither readiness nor an
    error (a deadline moved later) waits again, as Go loops.
    """
    if pd.closing:
        return _POLL_ERR_CLOSING
    if (pd.wd if write else pd.rd) < 0.0:
        return _POLL_ERR_TIMEOUT
    rt = np.rt
    while True:
        old = pd.wg if write else pd.rg
        if old is _READY:
            if write:
                pd.wg = None
            else:
                pd.rg = None
            return _POLL_NO_ERROR
        if old is not None:
            np.double_wait()
        g = rt.curg
        if g is None:
            g = rt.checkg()  # raises: not in a goroutine (gopark checks the thread)
        if write:
            pd.wg = g
            pd.wtoken = g.parkseq
        else:
            pd.rg = g
            pd.rtoken = g.parkseq
        rt.io_waiters += 1
        try:
            rt.gopark(_WAIT_IO)
        finally:
            rt.io_waiters -= 1
            if write:
                old = pd.wg
                pd.wg = None
            else:
                old = pd.rg
                pd.rg = None
        if old is _READY:
            return _POLL_NO_ERROR
        if pd.closing:
            return _POLL_ERR_CLOSING
        if (pd.wd if write else pd.rd) < 0.0:
            return _POLL_ERR_TIMEOUT
