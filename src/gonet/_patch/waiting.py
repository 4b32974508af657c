"""``time.sleep``, ``select.select``, ``select.poll`` and ``selectors.DefaultSelector``, runtime-aware.

In a goroutine they park instead of blocking the thread; everywhere else
they are the originals. ``select.epoll`` and the explicit selector classes
(``EpollSelector``, ``PollSelector``, ``SelectSelector``) are left alone, so
an asyncio loop in another thread keeps its own machinery.

Waiting on many descriptors at once: the netpoller parks one goroutine per
descriptor and direction, so ``select``/``poll`` put the descriptors in a
temporary (level-triggered) epoll instance and park on *that* descriptor,
which is readable whenever one of them is ready; the answer is then computed
by the original call with a zero timeout, so results are exactly what the
standard library reports. A selector parks on its own epoll descriptor the
same way. A zero timeout never parks.
"""

from __future__ import annotations

import math
import select
import selectors
import time
from collections.abc import Iterable
from typing import Any

from .._poll.rawconn import WAIT_OK, wait_fd
from .._runtime.proc import sleep as _gonet_sleep
from ._g import current_g
from .polling import _fd, poll, wait_events

__all__ = ["DefaultSelector", "poll", "select_", "sleep", "wait_events"]

_orig_sleep = time.sleep
_orig_select = select.select
_EpollSelector = selectors.EpollSelector


def sleep(secs: float) -> None:
    """sleep is ``time.sleep``; a goroutine parks for ``secs`` instead of blocking the thread."""
    if current_g() is None:
        return _orig_sleep(secs)
    if not isinstance(secs, (int, float)):
        if isinstance(secs, (str, bytes)) or not hasattr(type(secs), "__float__"):
            raise TypeError(f"'{type(secs).__name__}' object cannot be interpreted as an integer")
        secs = float(secs)
    if isinstance(secs, float) and math.isnan(secs):
        raise ValueError("Invalid value NaN (not a number)")
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    _gonet_sleep(secs)
    return None


def _check_timeout(timeout: Any) -> float | None:
    """Validate like the C call (negative: ValueError) by asking it with the same timeout."""
    if timeout is None:
        return None
    t = float(timeout)
    if t < 0:
        raise ValueError("timeout must be non-negative")
    return t


def select_(rlist: Iterable[Any], wlist: Iterable[Any], xlist: Iterable[Any],
            timeout: float | None = None) -> tuple[list[Any], list[Any], list[Any]]:
    """select_ is ``select.select``; a goroutine parks while nothing is ready."""
    if current_g() is None:
        return _orig_select(rlist, wlist, xlist, timeout)
    rl, wl, xl = list(rlist), list(wlist), list(xlist)
    res = _orig_select(rl, wl, xl, 0)  # also raises what the C call raises for bad arguments
    t = _check_timeout(timeout)
    if res[0] or res[1] or res[2] or t == 0:
        return res
    if not (rl or wl or xl):
        _gonet_sleep(t if t is not None else 1e9)
        return [], [], []
    fds: dict[int, int] = {}
    for objs, mask in ((rl, select.EPOLLIN), (wl, select.EPOLLOUT), (xl, select.EPOLLPRI)):
        for o in objs:
            fd = _fd(o)
            fds[fd] = fds.get(fd, 0) | mask
    rt: Any = current_g().sched  # type: ignore[union-attr]
    deadline = None if t is None else rt.clock.now() + t
    while True:
        left = None if deadline is None else max(deadline - rt.clock.now(), 0.0)
        ready = wait_events(fds, left)
        res = _orig_select(rl, wl, xl, 0)
        if res[0] or res[1] or res[2] or not ready:
            return res


class DefaultSelector(_EpollSelector):
    """DefaultSelector is ``selectors.EpollSelector`` whose ``select()`` parks a goroutine."""

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """select waits up to ``timeout`` seconds; a goroutine parks on the selector's epoll."""
        if current_g() is None or (timeout is not None and timeout <= 0):
            return super().select(timeout)
        ready = super().select(0)
        if ready:
            return ready
        rt: Any = current_g().sched  # type: ignore[union-attr]
        deadline = None if timeout is None else rt.clock.now() + timeout
        while True:
            res = wait_fd(self.fileno(), False, deadline)
            ready = super().select(0)
            if ready or res != WAIT_OK:
                return ready


#: (module, attribute, replacement)
PATCHES_TIME: list[tuple[Any, str, Any]] = [(time, "sleep", sleep)]
PATCHES_SELECT: list[tuple[Any, str, Any]] = [
    (select, "select", select_), (select, "poll", poll),
    (selectors, "DefaultSelector", DefaultSelector),
]
