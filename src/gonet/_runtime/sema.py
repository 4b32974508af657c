"""FIFO wait queues and semaphores (Go's ``runtime/sema.go``: semacquire/semrelease).

:class:`WaitQueue` is the one parking structure every blocking primitive
above the netpoller uses (fdMutex, ``Mutex``, ``WaitGroup``, ``Conn.close``
waiting for in-flight operations). It is FIFO, and it hands off directly: a
wake passes the resource to the oldest still-parked waiter, so a goroutine
that arrives later cannot overtake one that is already queued (Go's
"starvation mode", always on here: with one OS thread there is no spinning to
win back).

Waiters are ``(g, parkseq)`` pairs; a waiter that was woken by something else
(shutdown) has a stale token and is skipped (see :mod:`gonet._runtime.g`).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .g import WAIT_SEMACQUIRE, Goroutine, Sched

__all__ = ["Sema", "WaitQueue"]


class WaitQueue:
    """WaitQueue is a FIFO of parked goroutines.

    The deque is created on first use: most queues (an fd's lock queues, a
    conn's close semaphore) never hold anyone, and an empty deque costs 600
    bytes per connection.
    """

    __slots__ = ("waiters",)

    def __init__(self) -> None:
        self.waiters: deque[tuple[Goroutine, int]] | None = None

    def __len__(self) -> int:
        return len(self.waiters) if self.waiters else 0

    def park(self, s: Sched, reason: str) -> Any:
        """park enqueues the running goroutine and parks it; returns the wake value."""
        g = s.checkg()
        entry = (g, g.parkseq)
        if self.waiters is None:
            self.waiters = deque()
        self.waiters.append(entry)
        try:
            return s.gopark(reason)
        except BaseException:
            # Thrown out of the park (shutdown): do not leave a dead entry behind.
            try:
                self.waiters.remove(entry)
            except ValueError:
                pass
            raise

    def wake_one(self, s: Sched, value: Any = None) -> bool:
        """wake_one readies the oldest waiter still parked; returns whether there was one."""
        waiters = self.waiters
        while waiters:
            g, seq = waiters.popleft()
            if s.goready(g, seq, value):
                return True
        return False

    def wake_all(self, s: Sched, value: Any = None) -> int:
        """wake_all readies every waiter; returns how many were woken."""
        n = 0
        waiters = self.waiters
        while waiters:
            g, seq = waiters.popleft()
            if s.goready(g, seq, value):
                n += 1
        return n


class Sema:
    """Sema is a counting semaphore with FIFO hand-off (Go's ``semacquire``/``semrelease``)."""

    __slots__ = ("count", "queue")

    def __init__(self, count: int = 0) -> None:
        self.count = count
        self.queue = WaitQueue()

    def acquire(self, s: Sched, reason: str = WAIT_SEMACQUIRE) -> None:
        """acquire takes one unit, parking until one is released to this goroutine."""
        if self.count > 0 and not self.queue.waiters:
            self.count -= 1
            return
        self.queue.park(s, reason)  # release() hands the unit over directly

    def release(self, s: Sched) -> None:
        """release hands one unit to the oldest waiter, or banks it."""
        if not self.queue.wake_one(s):
            self.count += 1
