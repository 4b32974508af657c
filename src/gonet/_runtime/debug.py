"""Introspection: goroutine dumps and runtime statistics (Go's ``runtime/traceback.go``).

:func:`dump_all` writes what Go prints on ``SIGQUIT``: every goroutine with
its id, state, wait reason, how long it has been waiting, and its stack.
:func:`statistics` returns a frozen snapshot used by tests and ``gonet.stats()``.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from .g import RUNNING, STATUS_NAMES, WAITING, Goroutine, current_sched

if TYPE_CHECKING:
    from .proc import Runtime

__all__ = [
    "SUMMARY_THRESHOLD",
    "RuntimeStatistics",
    "dump_all",
    "format_goroutines",
    "format_summary",
    "statistics",
]

#: Above this many goroutines, dump() (and SIGQUIT) writes the grouped summary.
SUMMARY_THRESHOLD = 5000


@dataclass(frozen=True)
class RuntimeStatistics:
    """RuntimeStatistics is a snapshot of one runtime."""

    goroutines: int
    runnable: int
    waiting: dict[str, int] = field(default_factory=dict)
    netpoll_fds: int = 0
    netpoll_calls: int = 0
    io_waiters: int = 0
    timers: int = 0
    blocking_pending: int = 0
    scheduler_rounds: int = 0

    def as_dict(self) -> dict[str, Any]:
        """as_dict returns the snapshot as a plain dict (the shape of ``gonet.stats()``)."""
        return {
            "goroutines": self.goroutines,
            "runnable": self.runnable,
            "waiting": dict(self.waiting),
            "netpoll_fds": self.netpoll_fds,
            "netpoll_calls": self.netpoll_calls,
            "io_waiters": self.io_waiters,
            "timers": self.timers,
            "blocking_pending": self.blocking_pending,
            "scheduler_rounds": self.scheduler_rounds,
        }


def statistics(rt: Runtime) -> RuntimeStatistics:
    """statistics counts the goroutines of ``rt`` by state and reads its netpoller counters."""
    waiting: dict[str, int] = {}
    runnable = 0
    live = [g for g in rt.allgs.values() if g.status != 4]
    for g in live:
        if g.status == WAITING:
            waiting[g.waitreason] = waiting.get(g.waitreason, 0) + 1
        elif g.status in (1, 0):
            runnable += 1
    return RuntimeStatistics(
        goroutines=len(live),
        runnable=runnable,
        waiting=waiting,
        netpoll_fds=rt.netpoll.count,
        netpoll_calls=rt.netpoll.backend.calls,
        io_waiters=rt.io_waiters,
        timers=rt.timers.live,
        blocking_pending=rt.pool.pending,
        scheduler_rounds=rt.rounds,
    )


# Frames of these modules sit between the user's call to dump() and the stack
# they want to see.
_DUMP_MODULES = frozenset({"gonet", "gonet._runtime.debug"})


def _waited(seconds: float) -> str:
    if seconds >= 60.0:
        minutes = int(seconds // 60)
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"{seconds:.1f} seconds"


def _frame_of(rt: Runtime, g: Goroutine) -> FrameType | None:
    if g.status == RUNNING and g is rt.curg:
        # The running goroutine is the caller of dump(); skip dump's own frames.
        f: FrameType | None = sys._getframe(0)
        while f is not None and f.f_globals.get("__name__", "") in _DUMP_MODULES:
            f = f.f_back
        return f
    glet = g.glet
    return glet.gr_frame if glet is not None else None


def format_goroutine(rt: Runtime, g: Goroutine) -> str:
    """format_goroutine renders one goroutine as Go's traceback header and a Python stack."""
    if g.status == WAITING:
        state = f"{g.waitreason}, {_waited(max(0.0, rt.clock.now() - g.waitsince))}"
    else:
        state = STATUS_NAMES[g.status]
    lines = [f"goroutine {g.id} [{state}]:\n"]
    frame = _frame_of(rt, g)
    if frame is not None:
        stack = traceback.format_stack(frame)
        # Drop gonet's own runtime frames at the top of a parked stack: the user
        # wants to see where *their* code blocked (Go hides runtime frames too).
        while stack and "/gonet/_runtime/" in stack[-1]:
            stack.pop()
        while stack and "/gonet/_runtime/" in stack[0]:
            stack.pop(0)
        lines.extend(stack)
    elif g.status in (0, 1) and g.fn is not None:
        lines.append(f"  created, not yet started: {getattr(g.fn, '__qualname__', g.fn)!s}\n")
    return "".join(lines)


def format_goroutines(rt: Runtime) -> str:
    """format_goroutines renders every live goroutine of ``rt``, in id order."""
    gs = sorted((g for g in rt.allgs.values() if g.status != 4), key=lambda g: g.id)
    return "\n".join(format_goroutine(rt, g) for g in gs)


def _state(rt: Runtime, g: Goroutine) -> str:
    return g.waitreason if g.status == WAITING else STATUS_NAMES[g.status]


def _stack_key(rt: Runtime, g: Goroutine) -> tuple[tuple[str, str, int], ...]:
    # The user's frames, innermost first, as (function, file, line): no source
    # lines are read (traceback.format_stack would, for every goroutine).
    frame = _frame_of(rt, g)
    if frame is None:
        if g.fn is not None:
            return ((f"created, not yet started: {getattr(g.fn, '__qualname__', g.fn)!s}", "", 0),)
        return ()
    frames: list[tuple[str, str, int]] = []
    f: FrameType | None = frame
    while f is not None:
        code = f.f_code
        frames.append((code.co_qualname, code.co_filename, f.f_lineno or 0))
        f = f.f_back
    # As in the full dump: drop gonet's runtime frames at both ends.
    while frames and "/gonet/_runtime/" in frames[0][1]:
        frames.pop(0)
    while frames and "/gonet/_runtime/" in frames[-1][1]:
        frames.pop()
    return tuple(frames)


def format_summary(rt: Runtime) -> str:
    """format_summary groups the live goroutines of ``rt`` by state and stack (Go's ``debug=1``).

    Like Go's goroutine profile at debug level 1: a total, then one entry per
    distinct (wait reason, stack), most frequent first::

        goroutine profile: total 10003
        10000 @ [IO wait]
        #\thandle\t/srv/app.py:12
        #\tserve\t/srv/app.py:30
    """
    groups: dict[tuple[str, tuple[tuple[str, str, int], ...]], int] = {}
    total = 0
    for g in list(rt.allgs.values()):
        if g.status == 4:
            continue
        total += 1
        key = (_state(rt, g), _stack_key(rt, g))
        groups[key] = groups.get(key, 0) + 1
    lines = [f"goroutine profile: total {total}\n"]
    for (state, stack), n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0][0])):
        lines.append(f"{n} @ [{state}]\n")
        for fn, filename, lineno in stack:
            lines.append(f"#\t{fn}\t{filename}:{lineno}\n" if filename else f"#\t{fn}\n")
        lines.append("\n")
    return "".join(lines)


def dump_all(file: TextIO | None = None, summary: bool | None = None) -> None:
    """dump_all writes the goroutines of this thread's runtime to ``file`` (stderr).

    ``summary`` True: grouped by state and stack (:func:`format_summary`);
    False: every goroutine; None: the summary above :data:`SUMMARY_THRESHOLD`
    goroutines, every goroutine otherwise.
    """
    out = file if file is not None else sys.stderr
    rt: Runtime | None = current_sched()  # type: ignore[assignment]
    if rt is None:
        out.write("gonet: no runtime on this thread\n")
        return
    if summary is None:
        summary = len(rt.allgs) > SUMMARY_THRESHOLD
    out.write(format_summary(rt) if summary else format_goroutines(rt))
    out.write("\n")
    out.flush()
