"""An FD used off its runtime's thread: which operations are handed over, which refuse.

A poll.FD belongs to the runtime that created it: its fdMutex, pollDesc and
deadline timers are that runtime's state, touched only on its thread. From
any other thread (a plain thread, a ``blocking()`` worker, another runtime):

* ``close`` and the deadline setters are *handed over* (:func:`on_owner`):
  posted to the owning runtime, whose scheduler runs them at the start of
  its next round, so the goroutine parked on the FD wakes at once (the post
  wakes the runtime's eventfd). The caller does not wait: a thread that
  then blocks the runtime's own thread (``t.join()`` in a goroutine) must
  not deadlock with it. ``gonet.from_thread(handle, conn.close)`` waits for
  the close to finish. These are the operations a watchdog or a
  signal-driven shutdown needs; Go allows every operation from every
  thread, which one OS thread per runtime cannot.
* every other operation raises ``RuntimeError`` naming the owning runtime
  (:func:`wrong_thread`), whether or not it would have parked — never a
  silent success that races the owner.

In a forked child the inherited runtime is abandoned (``_runtime/fork.py``):
every operation refuses, except ``close``, which closes the child's copy of
the descriptor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._runtime.callin import wrong_thread as _wrong_thread
from .fd import ClosedError, err_closing

if TYPE_CHECKING:
    from .fd_unix import FD

__all__ = ["on_owner", "wrong_thread"]


def wrong_thread(fd: FD, op: str) -> RuntimeError:
    """wrong_thread is the ``RuntimeError`` for ``op`` on ``fd`` off its runtime's thread."""
    what = "conn"
    owner = fd.owner
    if owner is not None and getattr(owner, "raddr", None) is None:
        what = "listener" if fd.is_stream else "packet conn"
    return _wrong_thread(fd.rt, what, op)


def on_owner(fd: FD, fn: Any, *args: Any) -> Any:
    """on_owner hands ``fn(*args)`` (``FD.close`` or ``FD.set_deadline``) to the owning runtime.

    Returns at once; the owner runs it at the start of its next scheduler
    round. On a closed FD (or once the owner has shut down, which closed
    it) ``close`` does nothing and a deadline raises ``ClosedError``.
    """
    rt: Any = fd.rt
    if rt.abandoned:  # inherited by a forked child (see _runtime/fork.py)
        if getattr(fn, "__name__", "") == "close":
            _close_inherited(fd)
            return None
        raise _wrong_thread(rt, "conn", getattr(fn, "__name__", "operation"))
    closing = getattr(fn, "__name__", "") == "close"
    if fd.fdmu.closed:  # already closed: close is a no-op, a deadline fails as on the owner
        if closing:
            return None
        raise err_closing()
    try:
        rt.post(_quietly, fn, args)
    except RuntimeError:
        if rt.calls.open:
            raise
        # The owner has shut down, and its shutdown closed the descriptor.
        if closing:
            return None
        raise err_closing() from None
    return None


def _quietly(fn: Any, args: tuple[Any, ...]) -> None:
    # On the owner's thread, in its scheduler. Closed meanwhile (by the owner,
    # or by a second hand-over): nothing left to do, as for a same-thread
    # close of a closed conn; anything else is printed by the call queue.
    try:
        fn(*args)
    except ClosedError:
        pass


def _close_inherited(fd: FD) -> None:
    # A forked child closes its copy of the descriptor and nothing else: the
    # epoll instance is the parent's, so no epoll_ctl, and no goroutine of the
    # abandoned runtime can be woken.
    if fd.sysfd < 0:
        return
    fd.fdmu.closed = True
    if fd.pd is not None:
        fd.np.evict(fd.pd, inherited=True)
    try:
        fd.sock.close()
    except OSError:
        pass
    fd.sysfd = -1
