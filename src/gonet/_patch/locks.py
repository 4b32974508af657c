"""Hybrid locks and queues: a goroutine parks, a thread blocks (``threading``, ``_thread``, ``queue``).

Threads stay real: ``threading.Thread``, ``_thread.start_new_thread`` and
thread identity are untouched. Only the primitives a goroutine may find
contended are replaced, each by a class that wraps the C original:

* :class:`Lock` (``threading.Lock``, ``threading._allocate_lock``,
  ``_thread.allocate_lock``) holds a real ``_thread.lock``. Everyone first
  tries it without blocking; a plain thread then blocks on it exactly as the
  standard library does, a goroutine parks in :class:`._g.Waiters`. Every
  ``release`` — from a goroutine, a thread or a ``blocking()`` worker — wakes
  the oldest parked goroutine (through its runtime's eventfd when released
  from another thread), which tries again.
* :class:`RLock` (``threading.RLock`` via ``threading._CRLock``,
  ``_thread.RLock``) is owned by a *goroutine* when a goroutine holds it and
  by the thread otherwise: two goroutines of one thread must not both enter
  it, which an owner recorded as the thread id would allow.
* :class:`SimpleQueue` (``queue.SimpleQueue``) wraps the C queue the same way.

``Condition``, ``Event``, ``Semaphore``, ``Barrier`` and ``queue.Queue`` are
built from ``threading.Lock``/``_allocate_lock``/``RLock`` when they are
created, so those created after ``gonet.patch()`` are hybrid with no code of
their own (``Thread.join``/``start``: :mod:`.threads`).

Compiled (locks.pxd): a ``with`` on a pool's lock is the commonest patched
call of a request/response client (redis-py takes its pool's RLock twice per
command), so Lock and RLock are C classes in the compiled build.
"""

from __future__ import annotations

import _queue
import _thread
import types
from typing import Any

from greenlet import getcurrent

from .._runtime.g import current_sched
from ._g import Waiters, current_g

try:
    import cython
except ImportError:  # plain Python without Cython installed
    from .._runtime import _cython as cython

if not cython.compiled:  # compiled, the C helpers of g.pxd (locks.pxd cimports them)
    from .._runtime.g import current_glet, greenlet_import

greenlet_import()  # each compiled module needs its own copy of the C API table

__all__ = ["Lock", "RLock", "SimpleQueue"]

_allocate = _thread.allocate_lock
_CSimpleQueue = _queue.SimpleQueue
_Empty = _queue.Empty
_get_ident = _thread.get_ident


def _check_acquire_args(blocking: bool, timeout: float) -> None:
    # The C lock's own argument checks (Modules/_threadmodule.c lock_acquire_parse_args).
    if not blocking and timeout != -1:
        raise ValueError("can't specify a timeout for a non-blocking call")
    if timeout < 0 and timeout != -1:
        raise ValueError("timeout value must be a non-negative number")


class Lock:
    """Lock is ``threading.Lock`` for threads and goroutines alike (see the module docstring)."""

    __slots__ = ("__weakref__", "_inner", "_waiters")

    def __init__(self) -> None:
        self._inner = _allocate()
        self._waiters: Waiters | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """acquire takes the lock; a goroutine parks while it is held, a thread blocks.

        Returns whether it was acquired (``False`` when non-blocking or after
        ``timeout`` seconds). Arguments are checked as the C lock checks them.
        """
        inner = self._inner
        if blocking is True and timeout == -1 and inner.acquire(False):
            return True  # uncontended, default arguments: the same for everyone
        g = current_g()
        if g is None:
            return inner.acquire(blocking, timeout)  # exactly the standard library
        _check_acquire_args(blocking, timeout)
        if inner.acquire(False):
            return True
        if not blocking:
            return False
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = Waiters()
        return waiters.park_until(g, _try(inner), None if timeout == -1 else timeout)

    acquire_lock = acquire

    def release(self) -> None:
        """release frees the lock and wakes the oldest parked goroutine, from any thread.

        ``RuntimeError`` if it is not locked, as the C lock raises.
        """
        self._inner.release()
        waiters = self._waiters
        if waiters is not None and waiters.queue:
            waiters.wake_one()

    release_lock = release

    def locked(self) -> bool:
        """locked reports whether the lock is held."""
        return self._inner.locked()

    locked_lock = locked

    __enter__ = acquire  # acquire() with its defaults: one frame per ``with``

    def __exit__(self, *exc: object) -> None:
        self._inner.release()  # release(), inlined
        waiters = self._waiters
        if waiters is not None and waiters.queue:
            waiters.wake_one()

    def _at_fork_reinit(self) -> None:
        self._inner._at_fork_reinit()  # type: ignore[attr-defined]
        self._waiters = None

    def __repr__(self) -> str:
        state = "locked" if self._inner.locked() else "unlocked"
        return f"<{state} {type(self).__module__}.{type(self).__qualname__} object at {id(self):#x}>"


def _try(inner: Any) -> Any:
    def attempt() -> bool:
        return inner.acquire(False)  # type: ignore[no-any-return]
    return attempt


def _me(current_sched: Any = current_sched, getcurrent: Any = getcurrent,
        _get_ident: Any = _get_ident) -> Any:
    """The owner identity of the caller: its goroutine, or its thread's id.

    :func:`._g.current_g` inlined (two calls per RLock acquire/release pair).
    """
    s = current_sched()
    if s is not None:
        g = s.curg
        if g is not None and g.glet is getcurrent():
            return g
    return _get_ident()


class RLock:
    """RLock is ``threading.RLock`` whose owner is the goroutine (or the thread) holding it."""

    __slots__ = ("__weakref__", "_block", "_count", "_owner")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:  # the C RLock takes no arguments either (3.11 accepts and ignores)
            pass
        self._block = Lock()
        self._owner: Any = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """acquire takes the lock, or increments the count if the caller already owns it."""
        # _me(), inlined: this and release() run on every ``with`` of a pool's lock.
        s = current_sched()
        me: Any = None
        if s is not None:
            g = s.curg
            if g is not None and g.glet is current_glet():
                me = g
        if me is None:
            me = _get_ident()
        if self._owner == me:
            self._count += 1
            return True
        block = self._block
        if blocking is True and timeout == -1 and block._inner.acquire(False):
            rc = True  # uncontended, default arguments (Lock.acquire's own fast path)
        else:
            rc = block.acquire(blocking, timeout)
        if rc:
            self._owner = me
            self._count = 1
        return rc

    __enter__ = acquire

    def release(self) -> None:
        """release decrements the count; the last release frees the lock.

        ``RuntimeError`` if the caller does not own it.
        """
        if self._owner != _me():
            raise RuntimeError("cannot release un-acquired lock")
        self._count = count = self._count - 1
        if not count:
            self._owner = None
            block = self._block
            block._inner.release()  # Lock.release, inlined
            waiters = block._waiters
            if waiters is not None and waiters.queue:
                waiters.wake_one()

    def __exit__(self, *exc: object) -> None:
        # release(), inlined (with _me()): the other half of every ``with``.
        s = current_sched()
        me: Any = None
        if s is not None:
            g = s.curg
            if g is not None and g.glet is current_glet():
                me = g
        if me is None:
            me = _get_ident()
        if self._owner != me:
            raise RuntimeError("cannot release un-acquired lock")
        self._count = count = self._count - 1
        if not count:
            self._owner = None
            block = self._block
            block._inner.release()
            waiters = block._waiters
            if waiters is not None and waiters.queue:
                waiters.wake_one()

    def locked(self) -> bool:
        """locked reports whether anyone holds the lock."""
        return self._block.locked()

    # Condition's protocol (threading.Condition uses these when the lock has them).
    def _is_owned(self) -> bool:
        return bool(self._owner == _me())

    def _release_save(self) -> tuple[int, Any]:
        if not self._count:
            raise RuntimeError("cannot release un-acquired lock")
        state = (self._count, self._owner)
        self._count = 0
        self._owner = None
        self._block.release()
        return state

    def _acquire_restore(self, state: tuple[int, Any]) -> None:
        self._block.acquire()
        self._count, self._owner = state

    def _recursion_count(self) -> int:
        return self._count if self._owner == _me() else 0

    def _at_fork_reinit(self) -> None:
        self._block._at_fork_reinit()
        self._owner = None
        self._count = 0

    def __repr__(self) -> str:
        owner = self._owner
        shown = getattr(owner, "id", owner) if owner is not None else 0
        state = "locked" if self._block.locked() else "unlocked"
        return (f"<{state} {type(self).__module__}.{type(self).__qualname__} object "
                f"owner={shown!r} count={self._count} at {id(self):#x}>")


class SimpleQueue:
    """SimpleQueue is ``queue.SimpleQueue``: ``get`` parks a goroutine and blocks a thread."""

    __slots__ = ("__weakref__", "_q", "_waiters")

    __class_getitem__: Any = classmethod(types.GenericAlias)

    def __init__(self) -> None:
        self._q: _queue.SimpleQueue[Any] = _CSimpleQueue()
        self._waiters = Waiters()

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """put appends ``item`` (never blocks) and wakes a parked goroutine, from any thread."""
        self._q.put(item)
        if self._waiters.queue:
            self._waiters.wake_one()

    def put_nowait(self, item: Any) -> None:
        """put_nowait is ``put(item)``."""
        self.put(item)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """get removes and returns an item, waiting up to ``timeout`` seconds; ``queue.Empty``."""
        q = self._q
        g = current_g()
        if g is None:
            return q.get(block, timeout)
        if timeout is not None and timeout < 0 and block:
            raise ValueError("'timeout' must be a non-negative number")
        try:
            return q.get_nowait()
        except _Empty:
            if not block:
                raise
        box: list[Any] = []

        def attempt() -> bool:
            try:
                box.append(q.get_nowait())
            except _Empty:
                return False
            return True

        if not self._waiters.park_until(g, attempt, timeout):
            raise _Empty
        return box[0]

    def get_nowait(self) -> Any:
        """get_nowait returns an item or raises ``queue.Empty``."""
        return self._q.get_nowait()

    def empty(self) -> bool:
        """empty reports whether the queue is empty (not reliable, as in the standard library)."""
        return self._q.empty()

    def qsize(self) -> int:
        """qsize is the approximate number of items."""
        return self._q.qsize()
