"""Introspection: runtime statistics, and the goroutine dumps of :mod:`.gtrace` re-exported.

:func:`statistics` returns a frozen snapshot used by tests and ``gonet.stats()``.
The dumps (:func:`dump_all`, what Go prints on ``SIGQUIT``) live in the leaf
:mod:`.gtrace`, which the scheduler imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .gstatus import DEAD, IDLE, RUNNABLE, WAITING
from .gtrace import SUMMARY_THRESHOLD, dump_all, format_goroutine, format_goroutines, format_summary

if TYPE_CHECKING:
    from .proc import Runtime

__all__ = [
    "SUMMARY_THRESHOLD",
    "RuntimeStatistics",
    "dump_all",
    "format_goroutine",
    "format_goroutines",
    "format_summary",
    "statistics",
]



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
    live = [g for g in rt.allgs.values() if g.status != DEAD]
    for g in live:
        if g.status == WAITING:
            waiting[g.waitreason] = waiting.get(g.waitreason, 0) + 1
        elif g.status in (RUNNABLE, IDLE):
            runnable += 1
    return RuntimeStatistics(
        goroutines=len(live),
        runnable=runnable,
        waiting=waiting,
        netpoll_fds=rt.netpoll.count,
        netpoll_calls=rt.netpoll.calls,
        io_waiters=rt.io_waiters,
        timers=rt.timers.live,
        blocking_pending=rt.pool.pending,
        scheduler_rounds=rt.rounds,
    )
