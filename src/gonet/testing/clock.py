"""MockClock: virtual time for deterministic timing tests (after trio's ``MockClock``).

Virtual time stands still while goroutines run. When every goroutine is
parked and the scheduler would wait for the next timer, the clock first
gives real I/O ``autojump_threshold`` real seconds to arrive (0 by default:
one non-blocking ``epoll_wait``), then jumps straight to that timer. A test
of a 10-second deadline thus takes microseconds and measures exactly 10
virtual seconds, however loaded the machine is.

Deadlines passed to ``set_deadline`` are then times on this clock: use
``gonet.monotonic()`` (or ``clock.now()``) to compute them.
"""

from __future__ import annotations

import math

__all__ = ["MockClock"]


class MockClock:
    """MockClock is a virtual clock that jumps to the next timer when the runtime is idle."""

    def __init__(self, start: float = 1000.0, autojump_threshold: float = 0.0) -> None:
        self._now = float(start)
        self.autojump_threshold = autojump_threshold
        self.jumps = 0

    def __repr__(self) -> str:
        return f"<MockClock now={self._now} autojump_threshold={self.autojump_threshold}>"

    def now(self) -> float:
        """now is the current virtual time."""
        return self._now

    def jump(self, seconds: float) -> None:
        """jump advances virtual time by ``seconds`` (timers due fire on the next scheduler round)."""
        if seconds < 0:
            raise ValueError("time can't go backwards")
        self._now += seconds

    def poll_timeout(self, delay: float | None) -> float:
        """poll_timeout: with a timer pending, wait only the autojump threshold of real time."""
        if delay is None:
            return -1.0  # no timer: only real I/O (or a blocking() call) can wake anyone
        if delay <= 0.0:
            return 0.0
        if math.isinf(self.autojump_threshold):
            return -1.0
        return self.autojump_threshold

    def idle(self, deadline: float | None) -> None:
        """idle jumps to ``deadline`` when nothing happened within the threshold."""
        if deadline is not None and deadline > self._now and not math.isinf(
                self.autojump_threshold):
            self._now = deadline
            self.jumps += 1
