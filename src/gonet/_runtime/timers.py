"""Timers: a heap of one-shot callbacks on a pluggable clock (Go's ``runtime/time.go``).

This module is a leaf: it imports only the standard library.

A :class:`Timer` lives in the heap as ``(key, seq, timer)``. Go's timers are
modified in place (``modtimer``); a binary heap in Python cannot re-key an
entry cheaply, so this heap deletes lazily: a timer remembers the ``seq`` of
its own entry, and an entry whose ``seq`` no longer matches its timer is dead
and is dropped when it reaches the top. Two of Go's shortcuts keep the common
deadline pattern — arm, cancel, arm a little later, once per socket operation
(a socket timeout) — from pushing an entry each time:

* moving an armed timer *later* only records the new ``when``; its entry stays
  and, when it reaches the top, is re-keyed to ``when`` instead of firing
  (Go's ``timerModifiedLater``);
* cancelling leaves the entry where it is (Go's ``timerDeleted``), so a
  re-arm no earlier than the entry's key reuses it; an entry of a cancelled
  timer is dropped when it reaches the top.

Moving a timer *earlier* than its entry pushes a new one. ``live`` counts
armed timers so the scheduler can tell "no timer can ever fire" (deadlock
detection) without scanning, and the heap is compacted when dead entries
outnumber live ones, so a server that moves a deadline on every request cannot
grow it without bound.

Callbacks run on the scheduler (the hub), never inside a goroutine: they must
not park. They may make goroutines runnable.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Clock", "MonotonicClock", "Timer", "TimerHeap", "check_duration"]

_INF = float("inf")


def check_duration(what: str, seconds: float) -> float | None:
    """check_duration validates a duration in seconds; returns it, or ``None`` for ``inf``.

    NaN is rejected with ``ValueError`` as ``time.sleep(nan)`` does: a NaN
    deadline in the timer heap would compare false with everything and
    freeze every timer behind it. ``inf`` means "never": no timer at all.
    A value that is not a real number raises ``TypeError``.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"gonet: {what} must be a number of seconds, "
                        f"not {type(seconds).__name__}")
    if seconds != seconds:
        raise ValueError(f"gonet: {what}: invalid duration NaN (not a number)")
    if seconds == _INF:
        return None
    return float(seconds)


class Clock(Protocol):
    """Clock is the time source of a runtime: ``time.monotonic`` or a virtual clock.

    ``now()`` reads it. ``poll_timeout(delay)`` turns a wait of ``delay``
    seconds on this clock into the real seconds the scheduler may block in
    ``epoll_wait`` (``None``: no timer pending). ``idle(deadline)`` is called
    when that wait ended with nothing to do; a virtual clock may jump to
    ``deadline`` there (trio's autojump).
    """

    def now(self) -> float: ...

    def poll_timeout(self, delay: float | None) -> float: ...

    def idle(self, deadline: float | None) -> None: ...


class MonotonicClock:
    """MonotonicClock is the real clock: ``time.monotonic()``."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        # A bound builtin: ``clock.now()`` costs one C call, no Python frame.
        self.now: Callable[[], float] = time.monotonic

    def poll_timeout(self, delay: float | None) -> float:
        """poll_timeout returns ``delay`` (never negative), or -1 to block forever."""
        if delay is None:
            return -1.0
        return delay if delay > 0.0 else 0.0

    def idle(self, deadline: float | None) -> None:
        """idle does nothing: real time advances on its own."""


class Timer:
    """Timer is one pending callback ``fn(arg)`` at clock time ``when``.

    A timer belongs to the one heap it was first armed on: a re-arm may reuse
    the entry it left there (see the module docstring).
    """

    __slots__ = ("arg", "armed", "fn", "key", "seq", "when")

    def __init__(self, fn: Callable[[Any], None], arg: Any) -> None:
        self.fn = fn
        self.arg = arg
        self.when = 0.0  # the deadline, while armed
        self.armed = False
        self.seq = 0  # seq of this timer's heap entry; 0: it has none
        self.key = 0.0  # that entry's key: never after ``when`` while armed


class TimerHeap:
    """TimerHeap orders timers by deadline; see the module docstring for lazy deletion."""

    __slots__ = ("_next_seq", "heap", "live")

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, Timer]] = []
        self.live = 0
        self._next_seq = 1

    def add(self, when: float, fn: Callable[[Any], None], arg: Any = None) -> Timer:
        """add arms a new timer that calls ``fn(arg)`` at ``when``."""
        t = Timer(fn, arg)
        self.arm(t, when)
        return t

    def arm(self, t: Timer, when: float) -> None:
        """arm (re)schedules ``t`` for ``when`` (Go's ``modtimer``); ``when`` must not be NaN."""
        if when != when:  # a NaN would break the heap order (see check_duration)
            raise ValueError("gonet: timer at NaN (not a number)")
        if not t.armed:
            t.armed = True
            self.live += 1
        t.when = when
        if t.seq != 0 and t.key <= when:
            return  # its entry comes up no later than ``when`` and is re-keyed then
        self._push(t, when)
        if len(self.heap) > 64 and len(self.heap) > 2 * self.live:
            self._compact()

    def _push(self, t: Timer, key: float) -> None:
        seq = self._next_seq
        self._next_seq = seq + 1
        t.seq = seq
        t.key = key
        heapq.heappush(self.heap, (key, seq, t))

    def cancel(self, t: Timer) -> bool:
        """cancel disarms ``t``; returns whether it was armed (Go's ``deltimer``)."""
        if not t.armed:
            return False
        t.armed = False
        self.live -= 1
        return True

    def next_when(self) -> float | None:
        """next_when is the deadline of the earliest armed timer, or ``None``."""
        heap = self.heap
        while heap:
            key, seq, t = heap[0]
            if t.seq == seq:
                if t.armed:
                    if t.when == key:
                        return key
                    heapq.heappop(heap)  # moved later: re-key it, do not wake early for it
                    self._push(t, t.when)
                    continue
                t.seq = 0
            heapq.heappop(heap)
        return None

    def pending(self) -> list[float]:
        """pending lists the deadlines of the armed timers, earliest first (leak reports)."""
        return sorted(t.when for _, seq, t in self.heap if t.seq == seq and t.armed)

    def run_due(self, now: float) -> int:
        """run_due fires every timer whose deadline is ``<= now``; returns how many."""
        heap = self.heap
        fired = 0
        while heap and heap[0][0] <= now:
            key, seq, t = heapq.heappop(heap)
            if t.seq != seq:
                continue  # superseded by a later entry: dead
            t.seq = 0
            if not t.armed:
                continue  # cancelled
            if t.when != key:
                # Moved later since this entry was pushed: re-key it, so that
                # timers due in this same call still fire in deadline order.
                self._push(t, t.when)
                continue
            t.armed = False
            self.live -= 1
            fired += 1
            t.fn(t.arg)
        return fired

    def _compact(self) -> None:
        keep = []
        for e in self.heap:
            t = e[2]
            if t.seq == e[1]:
                if t.armed:
                    keep.append(e)
                else:
                    t.seq = 0  # a cancelled timer's entry: the next arm pushes anew
        heapq.heapify(keep)
        self.heap = keep
