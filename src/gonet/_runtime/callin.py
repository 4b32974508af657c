"""Calling into a runtime from other threads: the handle and ``from_thread``.

A runtime runs on one OS thread and its objects (conns, channels, goroutines)
may only be used there. Another thread reaches it through a
:class:`RuntimeHandle` (from :func:`current_runtime`, called inside the
runtime and handed to the thread) whose :meth:`RuntimeHandle.post` queues a
call for the runtime's thread (:mod:`.callq`). In the spirit of trio's
``from_thread.run`` and asyncio's ``run_coroutine_threadsafe``; Go needs
nothing of the kind because any thread may run any goroutine there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .g import getsched

if TYPE_CHECKING:
    from .proc import Runtime

__all__ = ["RuntimeHandle", "current_runtime"]


class RuntimeHandle:
    """RuntimeHandle is a thread-safe reference to one gonet runtime.

    Get it with :func:`gonet.current_runtime` inside the runtime and pass it
    to other threads. Every method is safe from any thread.
    """

    __slots__ = ("__weakref__", "_rt")

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    def __repr__(self) -> str:
        state = "running" if self.running else "shut down"
        return f"<RuntimeHandle {self._rt.name} {state}>"

    @property
    def name(self) -> str:
        """name identifies the runtime in messages: its number and the thread it runs on."""
        return self._rt.name

    @property
    def running(self) -> bool:
        """running is True until the runtime has shut down (then posts raise ``RuntimeError``)."""
        return self._rt.calls.open

    @property
    def thread_id(self) -> int:
        """thread_id is the ``threading.get_ident()`` of the runtime's thread."""
        return self._rt.thread_id

    def post(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """post queues ``fn(*args)`` to run soon on the runtime's thread, in its scheduler.

        Safe from any thread and from a signal handler; it wakes a runtime
        blocked in ``epoll_wait`` at once. ``fn`` runs with no goroutine
        current: it may start goroutines (``gonet.go``), send with
        ``try_send``, close conns and move deadlines, but not block. An
        exception it raises is printed to stderr. Raises ``RuntimeError``
        naming the runtime once it has shut down.
        """
        self._rt.post(fn, *args)


def current_runtime() -> RuntimeHandle:
    """current_runtime returns a handle to this thread's runtime, for use from other threads.

    Raises ``RuntimeError`` outside a runtime. The same handle is returned
    every time. Once a handle has been handed out, the runtime no longer
    reports a deadlock when every goroutine is asleep: a thread holding the
    handle may still wake one. (Go's deadlock check is off for the same
    reason in a Go library that C threads call into, ``-buildmode=c-shared``.)
    """
    rt: Runtime = getsched()  # type: ignore[assignment]
    h: RuntimeHandle | None = rt.handle
    if h is None:
        h = rt.handle = RuntimeHandle(rt)
        rt.external_wakers += 1
    return h
