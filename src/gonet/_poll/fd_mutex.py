"""fdMutex: reference count and reader/writer serialisation of one FD (Go's ``internal/poll/fd_mutex.go``).

Go packs this state into one uint64 so it can be updated with CAS from many
threads. gonet runs each runtime on one thread, so the same state is spelled
out as named fields::

    refs     int    references: one per in-flight operation (incref or lock), plus one
                    taken by close() itself
    closed   bool   close() has begun; no new reference or lock can be taken
    rlocked  bool   a reader holds the read lock   (one Read/Accept/RecvFrom at a time)
    wlocked  bool   a writer holds the write lock  (one Write/SendTo at a time)
    rwait    queue  goroutines waiting for the read lock   (FIFO; None while nobody waits)
    wwait    queue  goroutines waiting for the write lock  (FIFO; None while nobody waits)

Transitions (each returns False where Go returns false/error):

* ``incref``: not closed → refs+1.
* ``rwlock(read)``: not closed and unlocked → locked, refs+1; locked → wait in
  FIFO order; the unlocker hands the lock over directly, or close() wakes the
  waiter with False.
* ``rwunlock(read)`` / ``decref``: refs-1 (and unlock or hand over); return
  True when the FD is closed and this was the last reference — the caller must
  then destroy the FD (close the descriptor). The unlock that leaves a wait
  queue empty drops it (``None``), so "somebody may wait" is one pointer test
  of a C field and the next unlock is uncontended again (Go's fdMutex keeps a
  waiter count in its state word for the same test).
* ``incref_and_close``: not closed → closed, refs+1, and every lock waiter is
  woken to fail with ``ClosedError``.

Misuse that Go reports with ``panic("inconsistent poll.fdMutex")`` raises
:class:`~gonet._runtime.errors.InternalError` with the same message.
"""

from __future__ import annotations

from .._runtime.errors import throw
from .._runtime.g import WAIT_SEMACQUIRE, Sched
from .._runtime.sema import WaitQueue

__all__ = ["MAX_REFS", "SLOW_PATH", "FdMutex"]

# Go's mutexRefMask allows 2^20-1 references; more in-flight operations on one
# fd than that means a leak (Go: "too many concurrent operations on a single file or socket").
MAX_REFS = (1 << 20) - 1
#: Compiled, a C global declared in fd_mutex.pxd (compared without boxing), assigned here.
_MAX_REFS: int = MAX_REFS

#: How often rwlock/rwunlock took their contended path (the uncontended one
#: returned False): a test's view of "contention ended, the fast path is back".
SLOW_PATH = {"rwlock": 0, "rwunlock": 0}

try:
    import cython
except ImportError:  # plain Python without Cython installed
    from .._runtime import _cython as cython


class FdMutex:
    """FdMutex is the fdMutex state of one FD (see the module docstring)."""

    __slots__ = ("closed", "refs", "rlocked", "rwait", "wlocked", "wwait")

    def __init__(self) -> None:
        self.refs = 0
        self.closed = False
        self.rlocked = False
        self.wlocked = False
        # Created on contention and dropped when it empties (rwunlock): most fds
        # never have two readers or writers.
        self.rwait: WaitQueue | None = None
        self.wwait: WaitQueue | None = None

    def __repr__(self) -> str:
        return (f"<FdMutex refs={self.refs} closed={self.closed} rlocked={self.rlocked} "
                f"wlocked={self.wlocked} rwait={len(self.rwait or ())} wwait={len(self.wwait or ())}>")

    def incref(self) -> bool:
        """incref adds a reference; False if the FD is closed."""
        if self.closed:
            return False
        if self.refs >= _MAX_REFS:
            raise throw("too many concurrent operations on a single file or socket "
                        f"(max {MAX_REFS})")
        self.refs += 1
        return True

    def incref_and_close(self, s: Sched) -> bool:
        """incref_and_close marks the FD closed, adds close()'s reference and fails all lock waiters.

        Returns False if it was already closed.
        """
        if self.closed:
            return False
        self.closed = True
        self.refs += 1
        # Waiters wake with False: rwlock then reports the FD closed.
        if self.rwait is not None:
            self.rwait.wake_all(s, False)
        if self.wwait is not None:
            self.wwait.wake_all(s, False)
        return True

    def decref(self) -> bool:
        """decref drops a reference; True if the FD is closed and that was the last one."""
        if self.refs <= 0:
            raise throw("inconsistent poll.fdMutex")
        self.refs -= 1
        return self.closed and self.refs == 0

    def rwlock(self, s: Sched, read: bool) -> bool:
        """rwlock takes the read (or write) lock and a reference; False if the FD is closed.

        Parks while another goroutine holds that lock.
        """
        if rwlock_fast(self, read):
            return True
        SLOW_PATH["rwlock"] += 1
        if self.closed:
            return False
        if self.refs >= _MAX_REFS:
            raise throw("too many concurrent operations on a single file or socket "
                        f"(max {MAX_REFS})")
        if read:
            if self.rwait is None:
                self.rwait = WaitQueue()
            return bool(self.rwait.park(s, WAIT_SEMACQUIRE))
        if self.wwait is None:
            self.wwait = WaitQueue()
        return bool(self.wwait.park(s, WAIT_SEMACQUIRE))

    def rwunlock(self, s: Sched, read: bool) -> bool:
        """rwunlock releases the lock (handing it to the next waiter) and its reference.

        Returns True if the FD is closed and that was the last reference.
        """
        if rwunlock_fast(self, read):
            return False
        SLOW_PATH["rwunlock"] += 1
        if self.refs <= 0:
            raise throw("inconsistent poll.fdMutex")
        if read:
            if not self.rlocked:
                raise throw("inconsistent poll.fdMutex")
            # Hand-off keeps rlocked set and transfers our reference to the waiter.
            rwait = self.rwait
            if not (rwait is not None and rwait.waiters and rwait.wake_one(s, True)):
                self.rlocked = False
                self.refs -= 1
            if rwait is not None and not rwait.waiters:
                self.rwait = None  # contention is over: the next unlock is uncontended
        else:
            if not self.wlocked:
                raise throw("inconsistent poll.fdMutex")
            wwait = self.wwait
            if not (wwait is not None and wwait.waiters and wwait.wake_one(s, True)):
                self.wlocked = False
                self.refs -= 1
            if wwait is not None and not wwait.waiters:
                self.wwait = None
        return self.closed and self.refs == 0


# --- the uncontended transitions ------------------------------------------------------------
#
# rwlock_fast and rwunlock_fast are defined in fd_mutex.pxd as ``cdef inline``
# functions, inlined into the compiled poll.FD's loops (and into the methods
# above); the plain twins below are the same statements (tests/test_pxd_twins.py
# compares them). False means "take the method" (contention, close, misuse):
# the method drops a wait queue once it is empty, so after contention the fast
# path is taken again.

if not cython.compiled:

    def rwlock_fast(mu: FdMutex, read: bool) -> bool:
        """rwlock_fast takes the read (or write) lock and a reference if nobody holds it."""
        if mu.closed or mu.refs >= _MAX_REFS:
            return False
        if read:
            if mu.rlocked:
                return False
            mu.rlocked = True
        else:
            if mu.wlocked:
                return False
            mu.wlocked = True
        mu.refs += 1
        return True

    def rwunlock_fast(mu: FdMutex, read: bool) -> bool:
        """rwunlock_fast releases the lock and its reference if nobody waits for it (not closed)."""
        if mu.closed or mu.refs <= 0:
            return False
        if read:
            if not mu.rlocked or mu.rwait is not None:
                return False
            mu.rlocked = False
        else:
            if not mu.wlocked or mu.wwait is not None:
                return False
            mu.wlocked = False
        mu.refs -= 1
        return True
