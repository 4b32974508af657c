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

import _queue
import _thread
import os
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .g import WAIT_SYSCALL, getsched
from .sema import Sema

if TYPE_CHECKING:
    from .g import Goroutine
    from .proc import Runtime

__all__ = ["DEFAULT_MAX_WORKERS", "WorkerPool", "blocking", "blocking_capped", "set_max_blocking"]

# Go creates as many threads as there are blocked syscalls (up to 10,000); a
# bounded pool keeps a burst of slow calls from creating hundreds of threads.
# Calls beyond it queue. GONET_MAX_BLOCKING sets it for the process (read at
# import), set_max_blocking() at run time.
DEFAULT_MAX_WORKERS = 64

# The pool's own lock and job queue are the C originals, bound before any
# gonet.patch() can replace them: patch() makes threading.Lock/queue.SimpleQueue
# hybrid, and a hybrid lock found contended (a worker holds it for a moment)
# parks the submitting goroutine, which moves its park token. blocking() has
# read that token already for the job, so the worker's outcome would then be
# dropped as stale and the goroutine would never wake ("all goroutines are
# asleep"). The scheduler's own bookkeeping blocks the thread for the few
# bytecodes another thread holds it, as Go's runtime locks (lock_futex.go) do.
_allocate_lock = _thread.allocate_lock
_SimpleQueue = _queue.SimpleQueue


def _from_env() -> int:
    raw = os.environ.get("GONET_MAX_BLOCKING", "")
    if not raw:
        return DEFAULT_MAX_WORKERS
    try:
        n = int(raw)
        if n < 1:
            raise ValueError
    except ValueError:
        warnings.warn(f"gonet: ignoring GONET_MAX_BLOCKING={raw!r} (not a positive integer); "
                      f"using {DEFAULT_MAX_WORKERS}", RuntimeWarning, stacklevel=2)
        return DEFAULT_MAX_WORKERS
    return n


#: The most worker threads one runtime's pool runs at once.
MAX_WORKERS = _from_env()


def set_max_blocking(n: int) -> int:
    """set_max_blocking sets how many ``blocking()`` calls may run at once per runtime; returns the old value.

    The default is 64, or ``GONET_MAX_BLOCKING`` from the environment (read
    when gonet is imported). Calls beyond the limit wait for a free worker
    thread. It applies at once, to running runtimes too: a larger value
    lets queued calls start new threads; with a smaller one, threads already
    started stay (idle ones are reused) until their runtime ends.
    ``ValueError`` unless ``n`` is a positive int.
    """
    global MAX_WORKERS
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"gonet: set_max_blocking needs an int, not {type(n).__name__}")
    if n < 1:
        raise ValueError(f"gonet: set_max_blocking needs a positive number of threads, not {n}")
    old, MAX_WORKERS = MAX_WORKERS, n
    return old

_Job = tuple["Goroutine", int, Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class WorkerPool:
    """WorkerPool runs blocking calls on worker threads and hands results back to goroutines."""

    __slots__ = ("_idle", "_jobs", "_lock", "_open", "_post", "_threads", "caps", "pending")

    def __init__(self, post: Callable[[Callable[..., Any], tuple[Any, ...]], None]) -> None:
        self._post = post
        self._jobs: _queue.SimpleQueue[_Job | None] = _SimpleQueue()
        self._lock = _allocate_lock()
        self._open = True
        self._idle = 0
        self._threads: list[threading.Thread] = []
        #: Calls submitted and not yet delivered (read by deadlock detection).
        self.pending = 0
        #: name -> Sema: groups of calls with their own cap (blocking_capped).
        self.caps: dict[str, Any] = {}

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
                self._idle -= 1  # an idle worker takes it, or (negative) it queues
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


def blocking_capped(group: str, cap: int, fn: Callable[..., Any], /, *args: Any,
                    **kwargs: Any) -> Any:
    """blocking_capped is :func:`blocking` with at most ``cap`` calls of ``group`` running at once.

    Per runtime. Callers beyond the cap park (wait reason ``semacquire``)
    until one of the group's calls returns, so a group of calls that may get
    stuck (DNS lookups) cannot take every worker thread of the pool.
    """
    s = getsched()
    rt: Runtime = s  # type: ignore[assignment]
    sem = rt.pool.caps.get(group)
    if sem is None:
        sem = rt.pool.caps[group] = Sema(cap)
    sem.acquire(s)
    try:
        return blocking(fn, *args, **kwargs)
    finally:
        sem.release(s)


def blocking(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """blocking runs ``fn(*args, **kwargs)`` on a worker thread while this goroutine parks.

    For calls that would block the OS thread: file I/O, ``getaddrinfo``, C
    library calls. Returns the result or re-raises the exception; the other
    goroutines keep running meanwhile (Go's entersyscall/handoff).
    """
    s = getsched()
    g = s.checkg()
    rt: Runtime = s  # type: ignore[assignment]
    rt.pool.submit(g, g.parkseq, fn, args, kwargs)
    ok, value = s.gopark(WAIT_SYSCALL)
    if ok:
        return value
    try:
        raise value
    finally:
        value = None
