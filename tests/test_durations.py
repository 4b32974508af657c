"""Non-finite durations and deadlines: NaN is rejected everywhere, inf means "never".

A NaN deadline in the timer heap compares false with every other entry and
froze every timer of the runtime behind it (issue 6, item 3); ``inf`` must
not arm a timer at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from tests.netutil import pipe

import gonet
from gonet.testing import gotest, wait_all_blocked

NAN = math.nan
INF = math.inf


def _timers() -> int:
    return int(gonet.stats()["timers"])


def _timers_still_work() -> None:
    # After a rejected NaN the runtime's clock and timers behave normally.
    start = gonet.monotonic()
    gonet.sleep(0.01)
    assert gonet.monotonic() - start >= 0.01
    assert _timers() == 0


@gotest
def test_sleep_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        gonet.sleep(NAN)
    _timers_still_work()


@gotest
def test_after_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        gonet.after(NAN)
    _timers_still_work()


@gotest
def test_join_rejects_nan() -> None:
    g = gonet.go(gonet.sleep, 0.001)
    with pytest.raises(ValueError, match="NaN"):
        g.join(timeout=NAN)
    g.join()
    _timers_still_work()


@gotest
def test_dial_rejects_nan() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln, pytest.raises(ValueError, match="NaN"):
        gonet.dial("tcp", str(ln.addr), timeout=NAN)
    _timers_still_work()


def test_sleep_rejects_non_numbers_in_both_builds() -> None:
    def main() -> None:
        with pytest.raises(TypeError):
            gonet.sleep("1")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            gonet.after(None)  # type: ignore[arg-type]

    gonet.run(main)


@pytest.mark.leaves_goroutines
def test_sleep_inf_parks_for_ever_without_a_timer() -> None:
    def main() -> None:
        g = gonet.go(gonet.sleep, INF)
        wait_all_blocked()
        assert repr(g) == f"<Goroutine {g.id} [sleep]>"
        assert _timers() == 0
        _timers_still_work()
        assert not g.done()

    gonet.run(main)


def test_sleep_inf_alone_is_a_deadlock() -> None:
    # No timer can ever wake it: Go would report the same (no timers, all asleep).
    with pytest.raises(gonet.DeadlockError, match="sleep"):
        gonet.run(gonet.sleep, INF)


@gotest
def test_after_inf_never_fires_and_arms_no_timer() -> None:
    ch = gonet.after(INF)
    assert _timers() == 0
    idx, _, _ = gonet.select(ch, gonet.after(0.01))
    assert idx == 1
    assert len(ch) == 0


@gotest
def test_join_timeout_inf_waits_for_the_end() -> None:
    g = gonet.go(lambda: (gonet.sleep(0.01), 5)[1])
    assert g.join(timeout=INF) == 5
    assert _timers() == 0


@gotest
def test_dial_timeout_inf_means_no_timeout() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        acc = gonet.go(ln.accept)
        with gonet.dial("tcp", str(ln.addr), timeout=INF) as c, acc.join() as s:
            assert _timers() == 0
            s.write(b"ok")
            assert c.read(2) == b"ok"


# --- deadline setters ------------------------------------------------------------------


def _conn_setters(c: gonet.Conn) -> list[Callable[[Any], None]]:
    return [c.set_deadline, c.set_read_deadline, c.set_write_deadline]


@gotest
def test_conn_deadline_setters_reject_nan_and_keep_the_old_deadline() -> None:
    c, s = pipe()
    with c, s:
        for setter in _conn_setters(c):
            c.set_deadline(gonet.monotonic() + 3600)
            with pytest.raises(ValueError, match="NaN"):
                setter(NAN)
            assert _timers() == 2  # the read and write deadline timers, untouched
            c.set_deadline(None)
            assert _timers() == 0


@gotest
def test_conn_deadline_inf_is_no_deadline() -> None:
    c, s = pipe()
    with c, s:
        for setter in _conn_setters(c):
            c.set_deadline(gonet.monotonic() + 3600)
            setter(INF)
            c.set_deadline(INF)
            assert _timers() == 0
        # A parked read with an infinite deadline waits for data, not a timeout.
        r = gonet.go(c.read, 10)
        wait_all_blocked()
        s.write(b"data")
        assert r.join(timeout=5) == b"data"


@gotest
def test_conn_deadline_minus_inf_has_passed() -> None:
    c, s = pipe()
    with c, s:
        c.set_read_deadline(-INF)
        with pytest.raises(gonet.DeadlineExceededError):
            c.read(1)
        assert _timers() == 0


@gotest
def test_listener_deadline_nan_and_inf() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        with pytest.raises(ValueError, match="NaN"):
            ln.set_deadline(NAN)
        ln.set_deadline(INF)
        assert _timers() == 0
        acc = gonet.go(ln.accept)
        wait_all_blocked()
        with gonet.dial("tcp", str(ln.addr)) as c, acc.join(timeout=5) as s:
            assert s.remote_addr == c.local_addr


@gotest
def test_packet_conn_deadlines_nan_and_inf() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as pc:
        for setter in (pc.set_deadline, pc.set_read_deadline, pc.set_write_deadline):
            with pytest.raises(ValueError, match="NaN"):
                setter(NAN)
            setter(INF)
            assert _timers() == 0
