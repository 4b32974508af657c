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

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent as current_glet

from .callq import PostedCall
from .errors import GoroutineExit
from .g import WAIT_SYSCALL, Sched, current_sched, getsched

if TYPE_CHECKING:
    from .proc import Runtime

__all__ = [
    "RuntimeHandle",
    "current_runtime",
    "from_thread",
    "from_thread_nowait",
    "owning_runtime",
    "wrong_thread",
]


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


# --- from_thread ------------------------------------------------------------------------


class _ThreadCall(PostedCall):
    """_ThreadCall runs ``fn`` for another thread in a new goroutine and fills ``future``."""

    __slots__ = ("args", "fn", "future", "kwargs", "rt")

    def __init__(self, rt: Runtime, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        self.rt = rt
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.future: Future[Any] = Future()

    def __repr__(self) -> str:
        return f"<from_thread call {getattr(self.fn, '__qualname__', self.fn)!s}>"

    def __call__(self) -> None:
        # On the runtime's thread, in the hub.
        if not self.future.set_running_or_notify_cancel():
            return  # cancelled by the caller before it started
        rt = self.rt
        if rt.stopping:
            # Shutdown starts no goroutines; a call that cannot park (close,
            # a deadline) still runs, in the hub.
            self._run()
            return
        try:
            rt.new_goroutine(self._run, (), {})
        except BaseException as e:
            self.future.set_exception(e)

    def _run(self) -> None:
        fn, args, kwargs = self.fn, self.args, self.kwargs
        self.fn = self.args = self.kwargs = None  # type: ignore[assignment]
        try:
            result = fn(*args, **kwargs)
        except GoroutineExit:
            self.future.set_exception(RuntimeError(
                f"gonet: {self.rt.name} shut down while running the call"))
            raise
        except BaseException as e:
            self.future.set_exception(e)
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise  # they end the runtime, whichever goroutine they hit
        else:
            self.future.set_result(result)

    def cancel(self, exc: BaseException) -> None:
        if self.future.set_running_or_notify_cancel():
            self.future.set_exception(exc)


def _runtime_of(rt: RuntimeHandle | Runtime) -> Runtime:
    if isinstance(rt, RuntimeHandle):
        return rt._rt
    from .proc import Runtime

    if isinstance(rt, Runtime):
        return rt
    raise TypeError(f"gonet: expected a runtime handle (gonet.current_runtime()), "
                    f"not {type(rt).__name__}")


def from_thread_nowait(rt: RuntimeHandle, fn: Callable[..., Any], /, *args: Any,
                       **kwargs: Any) -> Future[Any]:
    """from_thread_nowait runs ``fn(*args, **kwargs)`` in a new goroutine of ``rt``; returns at once.

    Safe from any thread, including the runtime's own. The returned
    :class:`concurrent.futures.Future` gets ``fn``'s result or exception; it
    fails with ``RuntimeError`` if the runtime shuts down first. ``fn`` may
    do anything a goroutine may: park, use the runtime's conns and channels
    (``from_thread_nowait(rt, ch.send, v)`` is the thread-safe channel send).
    Cancelling the future before the goroutine has started prevents the call.
    Raises ``RuntimeError`` at once if the runtime has already shut down.
    """
    return _submit(_runtime_of(rt), fn, args, kwargs)


def _submit(r: Runtime, fn: Callable[..., Any], args: tuple[Any, ...],
            kwargs: dict[str, Any]) -> Future[Any]:
    call = _ThreadCall(r, fn, args, kwargs)
    r.post(call)
    return call.future


def from_thread(rt: RuntimeHandle, fn: Callable[..., Any], /, *args: Any,
                timeout: float | None = None, **kwargs: Any) -> Any:
    """from_thread runs ``fn(*args, **kwargs)`` in a new goroutine of ``rt`` and waits for it.

    For a thread that is not ``rt``'s (a plain thread, a ``blocking()``
    worker, a goroutine of another runtime): returns ``fn``'s result or
    re-raises its exception. A plain thread blocks; a goroutine of another
    runtime parks (its runtime keeps running). ``timeout`` (seconds) raises
    ``TimeoutError`` if the call has not finished by then; the call itself
    goes on. ``RuntimeError`` when called on ``rt``'s own thread (it would
    wait for itself: call ``fn`` directly or use ``gonet.go``), or when the
    runtime has shut down or shuts down before the call finishes.

    ``gonet.from_thread(rt, ch.send, value)`` is the thread-safe way to send
    on one of the runtime's channels: it returns once a receiver has the
    value (or the buffer has room), as Go's ``ch <- value``.
    """
    r = _runtime_of(rt)
    if threading.get_ident() == r.thread_id and r.calls.open:
        raise RuntimeError(f"gonet: from_thread() called on the thread of {r.name} itself; "
                           "it would wait for itself (call the function directly, or go())")
    return wait_future(from_thread_nowait(rt, fn, *args, **kwargs), timeout)


def wait_future(fut: Future[Any], timeout: float | None) -> Any:
    """wait_future waits for ``fut``: parks a goroutine of this thread's runtime, else blocks."""
    if timeout is not None:
        from .timers import check_duration

        timeout = check_duration("from_thread timeout", timeout)
    s = current_sched()
    if s is not None:
        g = s.curg
        if g is not None and g.glet is current_glet():
            return _park_on_future(s, g, fut, timeout)  # type: ignore[arg-type]
    try:
        return fut.result(timeout)
    finally:
        del fut


def _park_on_future(s: Runtime, g: Any, fut: Future[Any], timeout: float | None) -> Any:
    # A goroutine of another runtime waits: park it, and have the future's
    # completion (on whichever thread) post the wake-up to this runtime.
    seq = g.parkseq

    def done(_: Future[Any]) -> None:
        try:
            s.post(s.goready, g, seq)
        except RuntimeError:
            pass  # this runtime shut down meanwhile; the goroutine is gone

    timer = None
    if timeout is not None:
        timer = s.timers.add(s.clock.now() + max(0.0, timeout), _wake_timeout, (g, seq))
    s.external_wakers += 1
    fut.add_done_callback(done)
    try:
        s.gopark(WAIT_SYSCALL)
    finally:
        s.external_wakers -= 1
        if timer is not None:
            s.timers.cancel(timer)
    if not fut.done():
        raise TimeoutError(f"gonet: from_thread call did not finish within {timeout}s")
    return fut.result()


def _wake_timeout(arg: tuple[Any, int]) -> None:
    g, seq = arg
    g.sched.goready(g, seq)


# --- objects used from the wrong thread -------------------------------------------------


def wrong_thread(rt: Runtime, what: str, op: str) -> RuntimeError:
    """wrong_thread is the error for ``what.op()`` called off the thread of ``rt``, its owner."""
    t = threading.current_thread()
    here = current_sched()
    if here is not None:
        where = f"the thread of {getattr(here, 'name', 'another runtime')}"
    elif t.name == "gonet-blocking":
        where = "a blocking() worker thread"
    else:
        where = f"thread {t.name!r}"
    return RuntimeError(
        f"gonet: {what}.{op}() called from another thread ({where}), but this {what} "
        f"belongs to {rt.name}; "
        f"only that runtime's goroutines may use it (hand the call over with "
        f"gonet.from_thread(handle, ...), the handle from gonet.current_runtime())")


def owning_runtime(owner: Sched | None, what: str, op: str) -> Sched | None:
    """owning_runtime is the runtime ``what`` (a channel, a mutex ...) belongs to after ``op``.

    The slow path of the ownership check of channels and locks: ``owner``
    is not this thread's runtime. An object is bound to the first runtime
    that uses it; one whose runtime has shut down (or that never had one)
    goes to the runtime of this thread, and is free to use without parking
    on a thread with no runtime. Using one that belongs to a live runtime
    from any other thread raises ``RuntimeError`` naming that runtime.
    """
    here = current_sched()
    if owner is None or not _alive(owner):
        return here
    if here is owner:
        return owner
    raise wrong_thread(owner, what, op)  # type: ignore[arg-type]


def _alive(rt: Sched) -> bool:
    calls = getattr(rt, "calls", None)
    return calls is not None and bool(calls.open)
