"""Channels (Go's ``runtime/chan.go``).

A :class:`Chan` has a FIFO buffer of ``capacity`` values and two queues of
parked goroutines, each waiting in a :class:`Sudog`: receivers (``recvq``)
and senders (``sendq``). Invariants, as in Go:

* ``recvq`` is non-empty only while the buffer is empty;
* ``sendq`` is non-empty only while the buffer is full (for an unbuffered
  channel: always "full"), and no receiver is waiting;
* values are handed over directly from a waiting sender to a receiver (and a
  receiver that empties a slot of a full buffer moves the oldest waiting
  sender's value into it), so FIFO order holds across buffer and queue.

A sudog can be stale — its goroutine was woken through another ``select``
case, or by shutdown — which the park token detects (:mod:`.g`); stale sudogs
are skipped and dropped when dequeued.

Closing wakes every waiting receiver (they see the channel closed) and every
waiting sender (they raise, as Go panics). Receiving from a closed, drained
channel, sending on a closed channel and closing twice raise
:class:`ChanClosedError`.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .callin import owning_runtime
from .g import WAIT_CHAN_RECV, WAIT_CHAN_SEND, Goroutine, Sched, _tls, current_sched, getsched
from .timers import check_duration

__all__ = ["Chan", "ChanClosedError", "Sudog", "after"]

T = TypeVar("T")


class ChanClosedError(Exception):
    """ChanClosedError: receive from a closed and drained channel, send on or close of a closed one."""


class Sudog:
    """Sudog is a goroutine waiting on one channel operation (Go's ``sudog``)."""

    __slots__ = ("elem", "g", "index", "is_send", "seq", "success")

    def __init__(self, g: Goroutine, seq: int, elem: Any, index: int, is_send: bool) -> None:
        self.g = g
        self.seq = seq
        self.elem = elem
        self.index = index  # the select case this sudog stands for (0 outside select)
        self.is_send = is_send
        self.success = False  # True: the operation happened; False: woken by close


#: What :meth:`_Chan._take` returns when nothing is available, and at the closed end.
_EMPTY: Any = object()
_CLOSED: Any = object()


def dequeue(q: deque[Sudog], s: Sched | None) -> Sudog | None:
    """dequeue pops the first sudog whose goroutine still waits for it (Go's ``waitq.dequeue``).

    Stale sudogs are dropped on the way. A live sudog of a runtime other
    than ``s`` (this thread's) stays queued and ``RuntimeError`` is raised:
    channels belong to the runtime whose goroutines wait on them.
    """
    while q:
        sg = q[0]
        g = sg.g
        if g.parkseq == sg.seq and g.status == 3:  # still parked on this very operation
            if g.sched is not s:
                if s is None:
                    getsched()  # raises: no runtime on this thread
                raise RuntimeError("gonet: this channel is in use by the runtime of another "
                                   "thread; goroutines may only use channels of their own runtime")
            q.popleft()
            return sg
        q.popleft()
    return None


def ready(s: Sched, sg: Sudog) -> None:
    """ready wakes the goroutine of a sudog that :func:`dequeue` returned for runtime ``s``."""
    s.goready(sg.g, sg.seq, sg)


def park_on(s: Sched, q: deque[Sudog], sg: Sudog, reason: str) -> None:
    """park_on parks the running goroutine in ``q``; a throw (shutdown) unlinks it."""
    q.append(sg)
    try:
        s.gopark(reason)
    except BaseException:
        try:
            q.remove(sg)
        except ValueError:
            pass
        raise


class _Chan:
    """_Chan is the channel itself (compiled: an extension type); :class:`Chan` is its public, generic name.

    Split in two because an extension type cannot derive from ``typing.Generic``:
    ``Chan`` adds only the type parameter, no code.
    """

    __slots__ = ("__weakref__", "_buf", "_closed", "_rt", "capacity", "recvq", "sendq")

    def __init__(self, capacity: int = 0) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
            raise ValueError(f"gonet: Chan capacity must be a non-negative int, not {capacity!r}")
        if capacity > sys.maxsize:  # Go: makechan: size out of range
            raise ValueError(f"gonet: Chan capacity out of range: {capacity!r}")
        self.capacity = capacity
        self._buf: deque[Any] = deque()
        self._closed = False
        self._rt: Sched | None = current_sched()  # the owning runtime (see Chan's docstring)
        self.recvq: deque[Sudog] = deque()
        self.sendq: deque[Sudog] = deque()

    def __len__(self) -> int:
        return len(self._buf)

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<Chan {len(self._buf)}/{self.capacity}{state}>"

    @property
    def closed(self) -> bool:
        """closed reports whether ``close()`` has been called."""
        return self._closed

    # --- the non-blocking halves, shared with select ---------------------------------
    # _send_now and _take run after the ownership check, with ``s`` this thread's
    # runtime (None outside one): one thread-local lookup per operation.

    def _send_now(self, s: Sched | None, value: Any) -> bool:
        if self._closed:
            raise ChanClosedError("send on closed channel")
        if self.recvq:
            sg = dequeue(self.recvq, s)
            if sg is not None:
                sg.elem = value
                sg.success = True
                ready(s, sg)  # type: ignore[arg-type]  # dequeue raised if s is None
                return True
        if len(self._buf) < self.capacity:
            self._buf.append(value)
            return True
        return False

    def _take(self, s: Sched | None) -> Any:
        """_take receives without parking: the value, ``_EMPTY`` or (closed, drained) ``_CLOSED``."""
        buf = self._buf
        if buf:
            v = buf.popleft()
            if self.sendq:
                sg = dequeue(self.sendq, s)
                if sg is not None:
                    buf.append(sg.elem)
                    sg.success = True
                    ready(s, sg)  # type: ignore[arg-type]
            return v
        if self.sendq:
            sg = dequeue(self.sendq, s)
            if sg is not None:
                v = sg.elem
                sg.success = True
                ready(s, sg)  # type: ignore[arg-type]
                return v
        return _CLOSED if self._closed else _EMPTY

    def _park_recv(self, s: Sched | None) -> Any:
        """_park_recv parks until a value arrives: the value, or ``_CLOSED``."""
        if s is None:
            s = getsched()  # raises: no runtime on this thread
        g = s.checkg()
        sg = Sudog(g, g.parkseq, None, 0, False)
        park_on(s, self.recvq, sg, WAIT_CHAN_RECV)
        return sg.elem if sg.success else _CLOSED

    def try_send(self, value: Any) -> bool:
        """try_send sends without parking; returns whether the value was taken.

        Raises :class:`ChanClosedError` on a closed channel.
        """
        if self._rt is not _tls.sched:
            self._rt = owning_runtime(self._rt, "channel", "send")
        return self._send_now(self._rt, value)

    def try_recv(self) -> tuple[Any, bool, bool]:
        """try_recv receives without parking: ``(value, ok, done)``.

        ``done`` is False when nothing was available; otherwise ``ok`` tells a
        real value from the closed channel's end (``(None, False, True)``).
        """
        if self._rt is not _tls.sched:
            self._rt = owning_runtime(self._rt, "channel", "recv")
        v = self._take(self._rt)
        if v is _EMPTY:
            return None, False, False
        if v is _CLOSED:
            return None, False, True
        return v, True, True

    # --- the blocking operations ------------------------------------------------------

    def send(self, value: Any) -> None:
        """send delivers ``value``, parking until a receiver or buffer space takes it.

        Raises :class:`ChanClosedError` if the channel is closed, before or while parked.
        """
        if self._rt is not _tls.sched:
            self._rt = owning_runtime(self._rt, "channel", "send")
        s = self._rt
        if self._send_now(s, value):
            return
        if s is None:
            s = getsched()  # raises: no runtime on this thread
        g = s.checkg()
        sg = Sudog(g, g.parkseq, value, 0, True)
        park_on(s, self.sendq, sg, WAIT_CHAN_SEND)
        if not sg.success:
            raise ChanClosedError("send on closed channel")

    def recv(self) -> Any:
        """recv returns the next value, parking until one arrives.

        Raises :class:`ChanClosedError` once the channel is closed and drained.
        """
        if self._rt is not _tls.sched:
            self._rt = owning_runtime(self._rt, "channel", "recv")
        v = self._take(self._rt)
        if v is _EMPTY:
            v = self._park_recv(self._rt)
        if v is _CLOSED:
            raise ChanClosedError("receive from closed channel")
        return v

    def recv_ok(self) -> tuple[Any, bool]:
        """recv_ok is Go's ``v, ok := <-ch``: ``(None, False)`` once closed and drained."""
        if self._rt is not _tls.sched:
            self._rt = owning_runtime(self._rt, "channel", "recv")
        v = self._take(self._rt)
        if v is _EMPTY:
            v = self._park_recv(self._rt)
        if v is _CLOSED:
            return None, False
        return v, True

    def close(self) -> None:
        """close closes the channel, waking every waiting receiver and sender.

        Receivers get the buffered values first, then :class:`ChanClosedError`;
        parked senders raise it. A second ``close`` raises it too.
        """
        if self._rt is not _tls.sched:
            self._rt = owning_runtime(self._rt, "channel", "close")
        if self._closed:
            raise ChanClosedError("close of closed channel")
        self._closed = True
        s = self._rt
        woken: list[Sudog] = []
        for q in (self.recvq, self.sendq):
            while q:
                sg = dequeue(q, s)
                if sg is None:
                    break
                sg.success = False
                woken.append(sg)
        for sg in woken:
            ready(s, sg)  # type: ignore[arg-type]  # dequeue raised if s is None

    def __iter__(self) -> Iterator[Any]:
        while True:
            if self._rt is not _tls.sched:
                self._rt = owning_runtime(self._rt, "channel", "recv")
            v = self._take(self._rt)
            if v is _EMPTY:
                v = self._park_recv(self._rt)
            if v is _CLOSED:
                return
            yield v


class Chan(_Chan, Generic[T]):
    """Chan is a Go channel: ``Chan()`` is unbuffered, ``Chan(n)`` holds up to ``n`` values.

    ``send`` parks until a receiver takes the value (unbuffered) or buffer
    space exists; ``recv`` parks until a value arrives. Iterating yields values
    until the channel is closed and drained. ``len(ch)`` is the number of
    buffered values.

    A channel belongs to the runtime that first uses it: using it from
    another thread (a plain thread, a ``blocking()`` worker, another
    runtime) raises ``RuntimeError`` naming that runtime. From another
    thread, send with ``gonet.from_thread(handle, ch.send, value)`` (waits
    like ``send``) or ``gonet.from_thread_nowait(handle, ch.send, value)``,
    with ``handle = gonet.current_runtime()`` taken inside the runtime.
    """

    __slots__ = ()

    if TYPE_CHECKING:  # the types of _Chan's methods, seen by mypy only; _Chan has the code
        def __init__(self, capacity: int = 0) -> None: ...
        def try_send(self, value: T) -> bool: ...
        def try_recv(self) -> tuple[T | None, bool, bool]: ...
        def send(self, value: T) -> None: ...
        def recv(self) -> T: ...
        def recv_ok(self) -> tuple[T | None, bool]: ...
        def __iter__(self) -> Iterator[T]: ...


def after(seconds: float) -> Chan[float]:
    """after returns a channel that receives the clock time once ``seconds`` have passed.

    Go's ``time.After``. The channel has room for the one value, so the timer
    never blocks; times are on the runtime's clock (``gonet.monotonic()``).
    ``ValueError`` for NaN; ``inf`` returns a channel that never receives
    (no timer is armed).
    """
    s = getsched()
    d = check_duration("after", seconds)
    ch: Chan[float] = Chan(1)
    if d is not None:
        s.timers.add(s.clock.now() + max(0.0, d), _after_fire, ch)
    return ch


def _after_fire(ch: Chan[float]) -> None:
    if not ch._closed:
        ch.try_send(getsched().clock.now())
