"""lock: TLSConn's read and write locks, a ``gonet.Mutex`` behind an inline fast path.

A TLS conn takes its read lock once per read and its write lock once per
write. Uncontended (the common case: one reader, one writer), taking one is a
check of ``state`` and the thread, done inline by the caller, with no call at
all; the ``gonet.Mutex`` underneath comes into play only when a second
goroutine finds the lock held. Goroutines of one runtime never run at the
same time and switch only where they park, so the check-and-set needs no
atomics (Go's ``sync.Mutex`` fast path is one CAS for the same reason).

``state``::

    0  free
    1  held, uncontended: the Mutex is not locked
    2  held, and the Mutex stands for the holder: a contender locked it on the
       holder's behalf (it was free), then parked in it; unlock hands it to the
       oldest waiter (FIFO, Go's starvation mode) or frees it

The caller's inline fast path, and the slow calls it falls back to::

    lk = self._in_lk                       # take
    if lk.state or thread_ident() != lk.tid:
        lk.lock_slow()
    else:
        lk.state = 1
    ...
    if lk.state == 1:                      # release
        lk.state = 0
    else:
        lk.unlock_slow()
"""

from __future__ import annotations

import threading

import gonet

try:
    import cython
except ImportError:  # plain Python without Cython installed (Cython is a build dependency)
    from . import _cython as cython

__all__ = ["ConnLock", "thread_ident"]

if not cython.compiled:  # compiled, this is lock.pxd's inline C call (no Python call)
    #: thread_ident is ``threading.get_ident``, bound once for the inline fast paths.
    thread_ident = threading.get_ident


class ConnLock:
    """ConnLock is a goroutine mutex for one conn, owned by the runtime of thread ``tid``.

    Only that thread's goroutines may take it; another thread gets
    ``RuntimeError`` (OpenSSL must never see two threads on one connection).
    """

    __slots__ = ("_mu", "_what", "state", "tid")

    def __init__(self, tid: int, what: str) -> None:
        self.state = 0
        self.tid = tid
        self._what = what  # "read" or "write", for the cross-thread error
        self._mu = gonet.Mutex()

    def locked(self) -> bool:
        """locked reports whether the lock is held."""
        return self.state != 0

    def lock(self) -> None:
        """lock takes the lock, parking while another goroutine holds it."""
        if self.state or thread_ident() != self.tid:
            self.lock_slow()
        else:
            self.state = 1

    def try_lock(self) -> bool:
        """try_lock takes the lock if it is free (on the owning thread); returns whether it did."""
        if self.state or thread_ident() != self.tid:
            return False
        self.state = 1
        return True

    def unlock(self) -> None:
        """unlock releases the lock, handing it to the oldest parked goroutine if any."""
        if self.state == 1:
            self.state = 0
        else:
            self.unlock_slow()

    def lock_slow(self) -> None:
        """lock_slow is :meth:`lock` when the inline check failed: another thread, or contention."""
        if thread_ident() != self.tid:
            raise RuntimeError(
                f"gonet.tls: conn {self._what} from another thread (thread "
                f"{threading.current_thread().name!r}); a TLS conn belongs to the runtime "
                f"that created it (hand the call over with gonet.from_thread)")
        if self.state == 0:
            self.state = 1
            return
        mu = self._mu
        if self.state == 1:
            mu.lock()  # free: taken at once, standing for the holder from now on
            self.state = 2
        mu.lock()  # parks until unlock hands it over; state stays 2 while held

    def unlock_slow(self) -> None:
        """unlock_slow is :meth:`unlock` when the Mutex stands for the holder."""
        if self.state == 0:
            raise RuntimeError("gonet.tls: unlock of an unlocked conn lock")
        mu = self._mu
        mu.unlock()  # hands it to the oldest waiter, if any: it stays locked for them
        if not mu.locked():
            self.state = 0
