"""gonet.clock(): the runtime's clock as a callable, the same time as gonet.monotonic()."""

from __future__ import annotations

import time

import pytest

import gonet
from gonet.testing import MockClock, gotest


@gotest
def test_clock_of_the_real_runtime_is_time_monotonic() -> None:
    now = gonet.clock()
    assert now is time.monotonic  # no wrapper: a C call per read
    before = gonet.monotonic()
    t = now()
    assert before <= t <= gonet.monotonic()


@gotest(clock=MockClock)
def test_clock_follows_a_virtual_clock() -> None:
    now = gonet.clock()
    t0 = now()
    assert t0 == gonet.monotonic()
    gonet.sleep(5)  # virtual time jumps to the timer
    assert now() == gonet.monotonic() == t0 + 5


@pytest.mark.timeout(10)
def test_clock_outside_a_runtime_raises() -> None:
    with pytest.raises(RuntimeError, match="no runtime"):
        gonet.clock()
