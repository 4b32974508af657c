"""Calls posted to a runtime from other threads (Go's ``injectglist`` + ``netpollBreak``).

A runtime runs on one OS thread. Anything another thread wants it to do — a
finished ``blocking()`` call, a ``conn.close()`` from a watchdog thread, a
call handed in by ``gonet.from_thread``, a signal delivered to ``signal_notify``
— is *posted*: :meth:`CallQueue.post` appends ``(fn, args)`` to a deque and
wakes the netpoller through its eventfd, and the scheduler runs the posted
calls on the runtime's own thread, in the hub (no goroutine running), at the
start of its next round. Go injects goroutines made ready by other threads
into the run queue (``injectglist``) and breaks a blocked ``epoll_wait`` with
``netpollBreak``; this is the same, with a function instead of a goroutine.

The scheduler's only cost on the hot path is one truthiness test of the
deque per round.

Thread and signal safety: the lock is re-entrant because a Python signal
handler runs on the main thread between two bytecodes — possibly while that
same thread is inside :meth:`post` or the poller's ``wake``; a plain lock
would deadlock there. ``close`` and ``post`` share the lock, so no call is
appended after the queue has closed (a late post raises ``RuntimeError``
naming the runtime instead of being lost silently).
"""

from __future__ import annotations

import _thread
import sys
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

# The C RLock, bound at import: gonet.patch() makes threading.RLock hybrid (a
# goroutine would park in it), and the scheduler's own locks never park (blocking.py).
_RLock = _thread.RLock

__all__ = ["CallQueue", "PostedCall"]


class PostedCall:
    """PostedCall is a posted callable told when its runtime closes before running it.

    Subclasses implement ``__call__`` (run on the runtime's thread) and
    :meth:`cancel` (run on the closing thread) so that a caller waiting for
    the outcome in another thread is released instead of waiting forever.
    """

    __slots__ = ()

    def __call__(self) -> None:
        """__call__ runs the call on the runtime's thread."""
        raise NotImplementedError

    def cancel(self, exc: BaseException) -> None:
        """cancel reports that the call will never run, with ``exc`` as the reason."""


class CallQueue:
    """CallQueue holds calls posted from any thread until the scheduler runs them."""

    __slots__ = ("_lock", "_open", "_wake", "items", "name")

    def __init__(self, name: str, wake: Callable[[], None]) -> None:
        self.name = name
        self._wake = wake
        self._lock = _RLock()
        self._open = True
        #: ``(fn, args)`` pairs in posting order; the scheduler pops them.
        self.items: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()

    @property
    def open(self) -> bool:
        """open is False once the runtime has shut down (posts then raise)."""
        return self._open

    def post(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """post queues ``fn(*args)`` for the runtime's thread and wakes its netpoller."""
        with self._lock:
            if not self._open:
                raise RuntimeError(f"gonet: cannot post to {self.name}: it has shut down")
            self.items.append((fn, args))
        self._wake()

    def run(self, fatal: Callable[[BaseException], None]) -> None:
        """run runs the calls posted so far, on the runtime's thread (the scheduler's hub).

        Calls posted while they run wait for the next round, so a call that
        re-posts itself cannot starve the scheduler. An exception is printed
        and does not stop the runtime; ``KeyboardInterrupt``/``SystemExit``
        (a signal handler's) go to ``fatal``.
        """
        items = self.items
        for _ in range(len(items)):
            fn, args = items.popleft()
            try:
                fn(*args)
            except Exception as e:
                _report(self.name, fn, e)
            except BaseException as e:
                fatal(e)
            fn = args = None  # type: ignore[assignment]

    def close(self) -> None:
        """close refuses later posts and cancels the calls that never ran."""
        with self._lock:
            if not self._open:
                return
            self._open = False
            dropped = list(self.items)
            self.items.clear()
        exc = RuntimeError(f"gonet: {self.name} shut down before running the call")
        for fn, _ in dropped:
            if isinstance(fn, PostedCall):
                fn.cancel(exc)


def _report(name: str, fn: Any, e: BaseException) -> None:
    try:
        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        sys.stderr.write(f"gonet: exception in a call posted to {name} ({fn!r}):\n{text}")
        sys.stderr.flush()
    except Exception:  # printing must never kill the scheduler
        pass
