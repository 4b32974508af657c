"""Leak checks: goroutines, pollDescs, timers and file descriptors (after gevent's leakcheck).

:func:`check_runtime_leaks` runs at the end of a test's main goroutine,
*before* ``run()`` cleans up, so it sees what the test forgot to close or
stop. :func:`open_fds` counts the process's descriptors for the
before/after comparison around each test.
"""

from __future__ import annotations

import os
import time

from .._runtime.debug import format_goroutines
from .._runtime.g import getsched
from .._runtime.gstatus import DEAD
from .._runtime.proc import Runtime, sleep

__all__ = ["LeakError", "check_runtime_leaks", "open_fds"]


class LeakError(AssertionError):
    """LeakError: a test left goroutines, pollDescs, timers or descriptors behind."""


def open_fds() -> set[int]:
    """open_fds is the set of this process's open descriptor numbers."""
    fds = set()
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            os.fstat(fd)
        except OSError:
            continue  # the listdir's own descriptor, already closed
        fds.add(fd)
    return fds


def check_runtime_leaks(grace: float = 2.0) -> None:
    """check_runtime_leaks fails if anything but the calling goroutine is alive or registered.

    Goroutines that are on their way out get up to ``grace`` real seconds
    (polled, not slept blindly) to finish, as Go's ``afterTest`` does.
    """
    rt: Runtime = getsched()  # type: ignore[assignment]
    me = rt.checkg()
    deadline = time.monotonic() + grace
    while True:
        others = [g for g in rt.allgs.values() if g is not me and g.status != DEAD]
        # Borrowed descriptors (gonet.patch's sockets of a pool) outlive run() by design.
        pds = [pd for pd in rt.netpoll.registered() if not getattr(pd.user, "borrowed", False)]
        timers = rt.timers.live
        if not others and not pds and not timers:
            break
        if time.monotonic() >= deadline:
            break
        sleep(0.001 if not rt.runq else 0)
    problems = []
    if others:
        problems.append(f"{len(others)} goroutine(s) still alive:\n"
                        + "\n".join(line for line in format_goroutines(rt).split("\n")
                                    if not line.startswith(f"goroutine {me.id} ")))
    if pds:
        problems.append(f"{len(pds)} descriptor(s) still registered with the netpoller: "
                        + ", ".join(repr(pd.user or pd) for pd in pds))
    if timers:
        pending = rt.timers.pending()
        problems.append(f"{timers} timer(s) still pending (fire at clock times {pending[:5]}): "
                        "a gonet.after() or deadline nobody waits for any more?")
    if rt.io_waiters:
        problems.append(f"{rt.io_waiters} goroutine(s) still counted as IO waiters")
    if problems:
        raise LeakError("\n".join(problems))
