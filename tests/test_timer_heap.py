"""TimerHeap's lazy re-keying: a timer moved later or cancelled keeps its heap entry.

A socket timeout arms a deadline timer, cancels it and arms it again a little
later on every operation; the heap must not grow an entry per operation, and
a timer moved later must fire at its new time, never at its entry's old key.
"""

from __future__ import annotations

from typing import Any

import pytest

from gonet._runtime.timers import Timer, TimerHeap

pytestmark = pytest.mark.timeout(10)


def _recorder() -> tuple[list[Any], Any]:
    fired: list[Any] = []
    return fired, fired.append


def _one_timer() -> tuple[TimerHeap, list[Any], Timer]:
    """A fresh heap, the list its callbacks append to, and one timer ``t`` recording "t"."""
    fired, fn = _recorder()
    return TimerHeap(), fired, Timer(fn, "t")


def test_moved_later_fires_at_its_new_time_and_reuses_the_entry() -> None:
    h, fired, t = _one_timer()
    h.arm(t, 10.0)
    h.arm(t, 20.0)
    assert len(h.heap) == 1  # no second entry
    assert h.next_when() == 20.0  # re-keyed: the scheduler does not wake at 10
    assert h.run_due(15.0) == 0
    assert fired == []
    assert h.run_due(20.0) == 1
    assert fired == ["t"]
    assert h.live == 0 and not t.armed


def test_moved_later_entry_reaching_the_top_is_rekeyed_not_fired() -> None:
    h, fired, t = _one_timer()
    h.arm(t, 10.0)
    h.arm(t, 30.0)
    assert h.run_due(10.0) == 0  # the old key came up: re-keyed to 30
    assert fired == [] and t.armed and h.live == 1
    assert h.heap[0][0] == 30.0
    assert h.run_due(30.0) == 1
    assert fired == ["t"]


def test_cancel_then_rearm_reuses_the_entry_and_cancelled_never_fires() -> None:
    h, fired, t = _one_timer()
    for i in range(100):  # the socket-timeout pattern: arm, cancel, arm later
        h.arm(t, 5.0 + i)
        assert h.cancel(t)
        assert not h.cancel(t)  # already disarmed
    assert len(h.heap) == 1 and h.live == 0
    assert h.next_when() is None  # a cancelled timer's entry is dropped, not reported
    assert h.heap == []
    assert h.run_due(1000.0) == 0
    assert fired == []


def test_moved_earlier_pushes_a_new_entry_and_fires_once() -> None:
    h, fired, t = _one_timer()
    h.arm(t, 20.0)
    h.arm(t, 10.0)
    assert h.next_when() == 10.0
    assert h.run_due(10.0) == 1
    assert h.run_due(20.0) == 0  # the superseded entry is dead
    assert fired == ["t"]


def test_cancelled_after_rekey_does_not_fire_and_order_is_kept() -> None:
    h = TimerHeap()
    fired, fn = _recorder()
    a, b, c = Timer(fn, "a"), Timer(fn, "b"), Timer(fn, "c")
    h.arm(a, 1.0)
    h.arm(b, 2.0)
    h.arm(c, 3.0)
    h.arm(a, 4.0)  # a now after c
    h.cancel(b)
    assert h.pending() == [3.0, 4.0]
    assert h.run_due(10.0) == 2
    assert fired == ["c", "a"]
    assert h.live == 0


def test_compaction_drops_cancelled_entries_and_keeps_armed_ones() -> None:
    h = TimerHeap()
    fired, fn = _recorder()
    timers = [Timer(fn, i) for i in range(200)]
    for i, t in enumerate(timers):
        h.arm(t, 100.0 + i)
    for t in timers[:190]:
        h.cancel(t)
    # Pushes of a few timers moved earlier trigger the compaction.
    for i, t in enumerate(timers[190:]):
        h.arm(t, 50.0 + i)
    assert len(h.heap) <= 2 * h.live + 10
    assert h.live == 10
    assert h.run_due(1000.0) == 10
    assert sorted(fired) == list(range(190, 200))
    h.arm(timers[0], 5.0)  # a timer whose entry compaction dropped arms anew
    assert h.run_due(5.0) == 1
