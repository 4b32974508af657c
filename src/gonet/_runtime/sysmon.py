"""sysmon: a monitor thread that reports a goroutine hogging the scheduler (Go's ``sysmon``).

Go's sysmon preempts a goroutine that has run for more than 10 ms. gonet
cannot preempt Python code, so its sysmon *reports* instead: when the same
goroutine has been running, without yielding, for longer than the threshold
(100 ms by default), it prints that goroutine's stack to stderr once. It is
off by default; ``GONET_SYSMON=1`` (or a threshold in milliseconds, e.g.
``GONET_SYSMON=50``) turns it on.

The thread only *reads* the scheduler's ``curg`` and ``schedtick`` fields (a
counter that :func:`.g.execute`, the one entry into a goroutine, bumps at
every switch) and the interpreter's frames; it never touches scheduler state.
So it needs only a :class:`.g.Sched`, not the whole ``Runtime``.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .g import Sched

__all__ = ["Sysmon"]

DEFAULT_THRESHOLD = 0.100


class Sysmon:
    """Sysmon watches one runtime from a daemon thread."""

    def __init__(self, rt: Sched, threshold: float = DEFAULT_THRESHOLD,
                 out: TextIO | None = None) -> None:
        self.rt = rt
        self.threshold = threshold
        self.out = out
        self.reports = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gonet-sysmon", daemon=True)
        self._thread.start()

    @classmethod
    def from_env(cls, rt: Sched, value: str) -> Sysmon | None:
        """from_env builds a Sysmon from ``GONET_SYSMON``: ``1`` or a threshold in ms."""
        value = value.strip()
        if value in ("", "0", "off", "false"):
            return None
        try:
            ms = float(value)
        except ValueError:
            ms = DEFAULT_THRESHOLD * 1000
        threshold = DEFAULT_THRESHOLD if value in ("1", "on", "true") else ms / 1000
        return cls(rt, threshold)

    def stop(self) -> None:
        """stop ends the monitor thread."""
        self._stop.set()

    def _loop(self) -> None:
        rt = self.rt
        poll = min(0.02, self.threshold / 4)
        seen_g = None
        seen_round = -1
        since = time.monotonic()
        reported = False
        while not self._stop.wait(poll):
            g = rt.curg
            rnd = rt.schedtick
            now = time.monotonic()
            if g is None or g is not seen_g or rnd != seen_round:
                seen_g, seen_round, since, reported = g, rnd, now, False
                continue
            if not reported and now - since >= self.threshold:
                reported = True
                self._report(g.id, now - since)

    def _report(self, gid: int, held: float) -> None:
        frame = sys._current_frames().get(self.rt.thread_id)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
        out = self.out if self.out is not None else sys.stderr
        out.write(f"gonet: sysmon: goroutine {gid} has held the thread for {held * 1000:.0f} ms "
                  f"without yielding (no preemption in gonet; call gonet.gosched() in long "
                  f"loops or use gonet.blocking()):\n{stack}")
        out.flush()
        self.reports += 1
