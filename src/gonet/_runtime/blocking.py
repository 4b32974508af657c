"""Calls that must block an OS thread, handed to worker threads (Go's entersyscall / handoff).

Go hands the P of a goroutine stuck in a syscall to another thread so the
others keep running. gonet cannot move its scheduler, so it moves the call
instead: :meth:`WorkerPool.submit` queues it for a worker thread and the
goroutine parks (wait reason ``syscall``). The worker posts the outcome to
the runtime (:mod:`.callq`: a thread-safe queue that wakes the netpoller's
eventfd), so completions arrive through the same ``epoll_wait`` as network
readiness and are handed to the goroutine on the runtime's thread.

Pitfall kept in mind: a worker may finish after the runtime has shut down and
its eventfd number has been reused by someone else. The call queue refuses
posts once closed (and the poller's ``wake`` checks its own open flag under
its lock), so a late outcome is dropped instead of written to a stale
descriptor.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .g import Goroutine

__all__ = ["WorkerPool"]

# Go creates as many threads as there are blocked syscalls (up to 10,000); a
# bounded pool keeps a burst of slow DNS lookups from creating hundreds of
# threads. Calls beyond it queue.
MAX_WORKERS = 64

_Job = tuple["Goroutine", int, Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class WorkerPool:
    """WorkerPool runs blocking calls on worker threads and hands results back to goroutines."""

    __slots__ = ("_idle", "_jobs", "_lock", "_open", "_post", "_threads", "pending")

    def __init__(self, post: Callable[[Callable[..., Any], tuple[Any, ...]], None]) -> None:
        self._post = post
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._open = True
        self._idle = 0
        self._threads: list[threading.Thread] = []
        #: Calls submitted and not yet delivered (read by deadlock detection).
        self.pending = 0

    def submit(self, g: Goroutine, seq: int, fn: Callable[..., Any], args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> None:
        """submit queues ``fn(*args, **kwargs)`` for a worker; ``g`` is woken with the outcome."""
        with self._lock:
            if not self._open:
                raise RuntimeError("gonet: runtime is shutting down")
            self.pending += 1
            if self._idle == 0 and len(self._threads) < MAX_WORKERS:
                t = threading.Thread(target=self._worker, name="gonet-blocking", daemon=True)
                self._threads.append(t)
                t.start()
            else:
                self._idle -= 1
        self._jobs.put((g, seq, fn, args, kwargs))

    def _worker(self) -> None:
        jobs = self._jobs
        while True:
            job = jobs.get()
            if job is None:
                return
            g, seq, fn, args, kwargs = job
            job = None
            try:
                outcome: tuple[bool, Any] = (True, fn(*args, **kwargs))
            except BaseException as e:
                outcome = (False, e)
            fn = args = kwargs = None  # type: ignore[assignment]
            with self._lock:
                if not self._open:
                    return
                self._idle += 1
            try:
                self._post(self._finished, (g, seq, outcome))
            except RuntimeError:  # the runtime shut down meanwhile: drop the outcome
                return
            del outcome, g

    def _finished(self, g: Goroutine, seq: int, outcome: tuple[bool, Any]) -> None:
        # On the runtime's thread (a posted call): wake the goroutine with the outcome.
        self.pending -= 1
        g.sched.goready(g, seq, outcome)

    def close(self) -> None:
        """close stops idle workers; busy ones drop their outcome when they finish."""
        with self._lock:
            if not self._open:
                return
            self._open = False
            n = len(self._threads)
        for _ in range(n):
            self._jobs.put(None)
