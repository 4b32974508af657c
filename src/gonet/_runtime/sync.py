"""Mutex and WaitGroup (Go's ``sync/mutex.go`` and ``sync/waitgroup.go``) on runtime semaphores.

Both park goroutines, never the OS thread, through :class:`.sema.WaitQueue`.
Ownership is handed off in FIFO order: ``unlock`` passes the lock straight
to the longest waiter (Go's starvation mode, which is the only sensible mode
on one thread).
"""

from __future__ import annotations

from types import TracebackType

from .callin import owning_runtime
from .g import WAIT_SYNC_MUTEX, WAIT_WAITGROUP, Sched, current_sched, getsched
from .sema import WaitQueue

__all__ = ["Mutex", "WaitGroup"]


class Mutex:
    """Mutex is a mutual exclusion lock for goroutines; usable as a context manager.

    ``lock`` parks the goroutine (never the thread) while another holds it.
    Like Go's, it is not tied to a goroutine: any goroutine may unlock it.
    It belongs to the runtime that first uses it; another thread gets
    ``RuntimeError`` naming that runtime.
    """

    __slots__ = ("_locked", "_rt", "_waiters")

    def __init__(self) -> None:
        self._locked = False
        self._rt: Sched | None = current_sched()
        self._waiters = WaitQueue()

    def locked(self) -> bool:
        """locked reports whether the mutex is held."""
        return self._locked

    def lock(self) -> None:
        """lock acquires the mutex, parking until it is handed to this goroutine."""
        if self._rt is not current_sched():
            self._rt = owning_runtime(self._rt, "mutex", "lock")
        if not self._locked:
            self._locked = True
            return
        self._waiters.park(getsched(), WAIT_SYNC_MUTEX)
        # unlock() handed the lock over: it is still marked held, now by us.

    def try_lock(self) -> bool:
        """try_lock acquires the mutex if it is free; returns whether it did."""
        if self._rt is not current_sched():
            self._rt = owning_runtime(self._rt, "mutex", "try_lock")
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self) -> None:
        """unlock releases the mutex, handing it to the oldest waiter if any.

        Raises ``RuntimeError`` if the mutex is not locked (Go: ``fatal error:
        sync: unlock of unlocked mutex``).
        """
        if self._rt is not current_sched():
            self._rt = owning_runtime(self._rt, "mutex", "unlock")
        if not self._locked:
            raise RuntimeError("sync: unlock of unlocked mutex")
        if not self._waiters.waiters or not self._waiters.wake_one(getsched()):
            self._locked = False

    def __enter__(self) -> Mutex:
        self.lock()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.unlock()


class WaitGroup:
    """WaitGroup waits for a collection of goroutines to finish.

    ``add(n)`` before starting them, ``done()`` as each ends, ``wait()`` parks
    until the counter is zero. It belongs to the runtime that first uses it;
    another thread gets ``RuntimeError`` naming that runtime.
    """

    __slots__ = ("_count", "_rt", "_waiters")

    def __init__(self) -> None:
        self._count = 0
        self._rt: Sched | None = current_sched()
        self._waiters = WaitQueue()

    @property
    def count(self) -> int:
        """count is the current counter."""
        return self._count

    def add(self, n: int = 1) -> None:
        """add adds ``n`` (may be negative) to the counter; at zero, waiters are released.

        Raises ``ValueError`` if the counter would go negative (Go panics with
        ``sync: negative WaitGroup counter``); the counter is left unchanged.
        ``TypeError`` if ``n`` is not an int.
        """
        if not isinstance(n, int):
            raise TypeError(f"gonet: WaitGroup.add takes an int, not {n!r}")
        if self._rt is not current_sched():
            self._rt = owning_runtime(self._rt, "wait group", "add")
        c = self._count + n
        if c < 0:
            raise ValueError("sync: negative WaitGroup counter")
        self._count = c
        if c == 0 and self._waiters.waiters:
            self._waiters.wake_all(getsched())

    def done(self) -> None:
        """done decrements the counter by one."""
        self.add(-1)

    def wait(self) -> None:
        """wait parks until the counter is zero."""
        if self._rt is not current_sched():
            self._rt = owning_runtime(self._rt, "wait group", "wait")
        if self._count == 0:
            return
        self._waiters.park(getsched(), WAIT_WAITGROUP)
