# cython: boundscheck=False, wraparound=False
"""Channels (Go's ``runtime/chan.go``).

A :class:`Chan` has a FIFO buffer of ``capacity`` values (a ring in a list,
as Go's ``hchan.buf``, grown on demand up to ``capacity``) and two queues of
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
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .callin import owning_runtime
from .g import WAIT_CHAN_RECV, WAIT_CHAN_SEND, Goroutine, Sched, current_sched, getsched
from .gstatus import WAITING
from .sudog import Sudog, WaitQ
from .timers import check_duration

try:
    import cython
except ImportError:  # plain Python without Cython installed
    from . import _cython as cython

if not cython.compiled:  # compiled, g.pxd's and gctrack.pxd's C helpers
    from .g import thread_ident
    from .gctrack import untrack

__all__ = ["Chan", "ChanClosedError", "Sudog", "WaitQ", "after"]

T = TypeVar("T")


class ChanClosedError(Exception):
    """ChanClosedError: receive from a closed and drained channel, send on or close of a closed one."""


def acquire_sudog(g: Goroutine, c: _Chan, elem: Any, index: int, is_send: bool) -> Sudog:
    """acquire_sudog takes a sudog from ``g``'s cache (or a new one) for an operation on ``c``."""
    sg: Sudog | None = g.sudog
    if sg is None:
        sg = Sudog()
        untrack(sg)  # see Sudog's docstring
    else:
        g.sudog = sg.next
        sg.next = None
    sg.g = g
    sg.seq = g.parkseq
    sg.c = c
    sg.elem = elem
    sg.index = index
    sg.is_send = is_send
    sg.success = False
    return sg


def release_sudog(g: Goroutine, sg: Sudog) -> None:
    """release_sudog returns an unlinked sudog to ``g``'s cache, dropping what it referenced."""
    sg.g = None  # type: ignore[assignment]  # cached: no goroutine, no channel
    sg.c = None  # type: ignore[assignment]
    sg.elem = None
    sg.waitlink = None
    sg.next = g.sudog
    g.sudog = sg


def enqueue(q: WaitQ, sg: Sudog) -> None:
    """enqueue appends ``sg`` to ``q`` (Go's ``waitq.enqueue``)."""
    last = q.last
    sg.next = None
    sg.prev = last
    if last is None:
        q.first = sg
    else:
        last.next = sg
    q.last = sg


def unlink(q: WaitQ, sg: Sudog) -> None:
    """unlink removes ``sg`` from ``q`` if it is there (Go's ``waitq.dequeueSudoG``): O(1)."""
    x = sg.prev
    y = sg.next
    if x is not None:
        if y is not None:
            x.next = y
            y.prev = x
        else:
            x.next = None
            q.last = x
    elif y is not None:
        y.prev = None
        q.first = y
    elif q.first is sg:
        q.first = None
        q.last = None
    # else: not in the queue (a waker dequeued it): prev and next are None already
    sg.prev = None
    sg.next = None


def dequeue(q: WaitQ, s: Sched | None) -> Sudog | None:
    """dequeue pops the first sudog whose goroutine still waits for it (Go's ``waitq.dequeue``).

    Stale sudogs (their goroutine was woken by another ``select`` case that it
    has not unlinked yet) are dropped on the way. A live sudog of a runtime
    other than ``s`` (this thread's) stays queued and ``RuntimeError`` is
    raised: channels belong to the runtime whose goroutines wait on them.
    """
    while True:
        sg = q.first
        if sg is None:
            return None
        g = sg.g
        live = g.parkseq == sg.seq and g.status == WAITING  # still parked on this very operation
        if live and g.sched is not s:
            if s is None:
                getsched()  # raises: no runtime on this thread
            raise RuntimeError("gonet: this channel is in use by the runtime of another "
                               "thread; goroutines may only use channels of their own runtime")
        y = sg.next
        q.first = y
        if y is None:
            q.last = None
        else:
            y.prev = None
            sg.next = None
        if live:
            return sg


def ready(s: Sched, sg: Sudog) -> None:
    """ready wakes the goroutine of a sudog that :func:`dequeue` returned for runtime ``s``."""
    s.goready(sg.g, sg.seq, sg)


def park_on(s: Sched, q: WaitQ, sg: Sudog, reason: str) -> None:
    """park_on parks the running goroutine in ``q``; a throw (shutdown) unlinks it."""
    enqueue(q, sg)
    try:
        s.gopark(reason)
    except BaseException:
        unlink(q, sg)
        raise


#: What :meth:`_Chan._take` returns when nothing is available, and at the closed end.
_EMPTY: Any = object()
_CLOSED: Any = object()


class _Chan:
    """_Chan is the channel itself (compiled: an extension type); :class:`Chan` is its public, generic name.

    Split in two because an extension type cannot derive from ``typing.Generic``:
    ``Chan`` adds only the type parameter, no code.
    """

    __slots__ = ("__weakref__", "_closed", "_qcount", "_recvx", "_ring", "_rt", "capacity", "recvq",
                 "sendq")

    def __init__(self, capacity: int = 0) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
            raise ValueError(f"gonet: Chan capacity must be a non-negative int, not {capacity!r}")
        if capacity > sys.maxsize:  # Go: makechan: size out of range
            raise ValueError(f"gonet: Chan capacity out of range: {capacity!r}")
        self.capacity = capacity
        # The buffer: _qcount values from _ring[_recvx] on, wrapping (Go's qcount, recvx).
        # A list indexed in C when compiled: a deque's append/popleft were method
        # calls by name, ≈ 230 instructions each.
        self._ring: list[Any] = []
        self._recvx = 0
        self._qcount = 0
        self._closed = False
        self._rt: Sched | None = current_sched()  # the owning runtime (see Chan's docstring)
        self.recvq = WaitQ()
        self.sendq = WaitQ()

    def __len__(self) -> int:
        return self._qcount

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<Chan {self._qcount}/{self.capacity}{state}>"

    @property
    def closed(self) -> bool:
        """closed reports whether ``close()`` has been called."""
        return self._closed

    def _owner(self, op: str) -> Sched | None:
        """_owner is this thread's runtime, after the ownership check; None outside one.

        The fast test: the owner is running a goroutine on this very thread
        (only the running runtime of a thread has ``curg`` set, and a forked
        child's inherited runtimes have no thread). Anything else — the hub,
        another thread, a runtime that has ended — takes ``owning_runtime``.
        """
        s = self._rt
        if s is None or s.curg is None or s.thread_id != thread_ident():
            s = self._rt = owning_runtime(self._rt, "channel", op)
        return s

    # --- the buffer ring -------------------------------------------------------------

    def _buffer(self, value: Any) -> None:
        """_buffer appends ``value`` to the buffer; the caller has checked there is room."""
        ring = self._ring
        size = len(ring)
        n = self._qcount
        if n == size:
            # Grow: unroll the ring into a list twice the size, at most capacity
            # (allocated on demand: Chan(10**9) costs nothing until it fills).
            head = self._recvx
            grown = min(max(2 * size, 8), self.capacity)
            self._ring = ring = [*ring[head:], *ring[:head], *([None] * (grown - size))]
            self._recvx = 0
            size = grown
        i = self._recvx + n
        if i >= size:
            i -= size
        ring[i] = value
        self._qcount = n + 1

    def _unbuffer(self) -> Any:
        """_unbuffer removes and returns the oldest buffered value; the caller has checked there is one."""
        ring = self._ring
        head = self._recvx
        v = ring[head]
        ring[head] = None  # the ring keeps no reference to a received value
        head += 1
        if head == len(ring):
            head = 0
        self._recvx = head
        self._qcount -= 1
        return v

    # --- the non-blocking halves, shared with select ---------------------------------
    # _send_now and _take run after the ownership check, with ``s`` this thread's
    # runtime (None outside one).

    def _send_now(self, s: Sched | None, value: Any) -> bool:
        if self._closed:
            raise ChanClosedError("send on closed channel")
        if self.recvq.first is not None:
            sg = dequeue(self.recvq, s)
            if sg is not None:
                sg.elem = value
                sg.success = True
                ready(s, sg)  # type: ignore[arg-type]  # dequeue raised if s is None
                return True
        if self._qcount < self.capacity:
            self._buffer(value)
            return True
        return False

    def _take(self, s: Sched | None) -> Any:
        """_take receives without parking: the value, ``_EMPTY`` or (closed, drained) ``_CLOSED``."""
        if self._qcount:
            v = self._unbuffer()
            if self.sendq.first is not None:
                sg = dequeue(self.sendq, s)
                if sg is not None:
                    self._buffer(sg.elem)
                    sg.success = True
                    ready(s, sg)  # type: ignore[arg-type]
            return v
        if self.sendq.first is not None:
            sg = dequeue(self.sendq, s)
            if sg is not None:
                v = sg.elem
                sg.success = True
                ready(s, sg)  # type: ignore[arg-type]
                return v
        return _CLOSED if self._closed else _EMPTY

    def _recv(self) -> Any:
        """_recv is every blocking receive: the value, or ``_CLOSED`` once closed and drained.

        ``recv``, ``recv_ok`` and iteration differ only in what they make of
        ``_CLOSED``.
        """
        s = self._owner("recv")
        v = self._take(s)
        if v is not _EMPTY:
            return v
        if s is None:
            s = getsched()  # raises: no runtime on this thread
        g = s.checkg()
        sg = acquire_sudog(g, self, None, 0, False)
        park_on(s, self.recvq, sg, WAIT_CHAN_RECV)
        v = sg.elem if sg.success else _CLOSED
        release_sudog(g, sg)
        return v

    def try_send(self, value: Any) -> bool:
        """try_send sends without parking; returns whether the value was taken.

        Raises :class:`ChanClosedError` on a closed channel.
        """
        return self._send_now(self._owner("send"), value)

    def try_recv(self) -> tuple[Any, bool, bool]:
        """try_recv receives without parking: ``(value, ok, done)``.

        ``done`` is False when nothing was available; otherwise ``ok`` tells a
        real value from the closed channel's end (``(None, False, True)``).
        """
        v = self._take(self._owner("recv"))
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
        s = self._owner("send")
        if self._send_now(s, value):
            return
        if s is None:
            s = getsched()  # raises: no runtime on this thread
        g = s.checkg()
        sg = acquire_sudog(g, self, value, 0, True)
        park_on(s, self.sendq, sg, WAIT_CHAN_SEND)
        ok = sg.success
        release_sudog(g, sg)
        if not ok:
            raise ChanClosedError("send on closed channel")

    def recv(self) -> Any:
        """recv returns the next value, parking until one arrives.

        Raises :class:`ChanClosedError` once the channel is closed and drained.
        """
        v = self._recv()
        if v is _CLOSED:
            raise ChanClosedError("receive from closed channel")
        return v

    def recv_ok(self) -> tuple[Any, bool]:
        """recv_ok is Go's ``v, ok := <-ch``: ``(None, False)`` once closed and drained."""
        v = self._recv()
        if v is _CLOSED:
            return None, False
        return v, True

    def close(self) -> None:
        """close closes the channel, waking every waiting receiver and sender.

        Receivers get the buffered values first, then :class:`ChanClosedError`;
        parked senders raise it. A second ``close`` raises it too.
        """
        s = self._owner("close")
        if self._closed:
            raise ChanClosedError("close of closed channel")
        self._closed = True
        woken: list[Sudog] = []
        for q in (self.recvq, self.sendq):
            while q.first is not None:
                sg = dequeue(q, s)
                if sg is None:
                    break
                sg.success = False
                woken.append(sg)
        for sg in woken:
            ready(s, sg)  # type: ignore[arg-type]  # dequeue raised if s is None

    def __iter__(self) -> Iterator[Any]:
        return ChanIter(self)


class ChanIter:
    """ChanIter iterates over a channel: the values until it is closed and drained.

    A class, not a generator: compiled, each step is a C call, with no
    generator frame under the parked goroutine.
    """

    __slots__ = ("ch",)

    def __init__(self, ch: _Chan) -> None:
        self.ch = ch

    def __iter__(self) -> ChanIter:
        return self

    def __next__(self) -> Any:
        v = self.ch._recv()
        if v is _CLOSED:
            raise StopIteration
        return v


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
