"""execute, the one entry into a goroutine (Go's ``runtime.execute``): every path bumps schedtick.

sysmon (``_runtime/sysmon.py``) tells a goroutine that has held the thread
from one that was switched away from and re-entered by reading the runtime's
``curg`` and ``schedtick``. So each way a goroutine is entered — the hub's
scheduler loop, ``gopark``'s direct hand-off, ``settle`` (the leak check after
main returns) and shutdown's throw — must make it ``curg`` and advance
``schedtick``. Each test below reads those two fields, as sysmon does, from
inside the goroutine entered by one path, and checks the path was the one
meant (``rounds`` counts the scheduler loop's rounds).
"""

from __future__ import annotations

from typing import Any

import pytest

import gonet
from gonet._runtime import proc
from gonet._runtime.g import getsched
from gonet._runtime.gstatus import RUNNING


def _seen() -> tuple[int, Any, int]:
    """What sysmon sees (schedtick, curg), and the scheduler round, from the running goroutine."""
    rt: Any = getsched()
    assert rt.curg is gonet.current() and rt.curg.status == RUNNING
    return rt.schedtick, rt.curg, rt.rounds


def test_scheduler_loop_entry_advances_schedtick() -> None:
    def main() -> tuple[int, int, int, int]:
        tick0, g0, round0 = _seen()
        gonet.gosched()  # nothing else runnable: the hub's loop re-enters main
        tick1, g1, round1 = _seen()
        assert g0 is g1
        return tick0, tick1, round0, round1

    tick0, tick1, round0, round1 = gonet.run(main)
    assert round1 > round0  # entered from the scheduler loop
    assert tick1 > tick0


def test_gopark_handoff_advances_schedtick() -> None:
    def main() -> None:
        ch: gonet.Chan[int] = gonet.Chan()
        done: gonet.Chan[tuple[int, Any, int]] = gonet.Chan(1)

        def receiver() -> None:
            ch.recv()
            done.send(_seen())

        g = gonet.go(receiver)
        gonet.gosched()  # receiver starts and parks in recv
        tick0, me, round0 = _seen()
        ch.send(1)  # receiver runnable; main keeps running
        tick1, g1, round1 = done.recv()  # main parks: gopark hands off to receiver
        assert g1 is g and g1 is not me
        assert round1 == round0  # no scheduler round between: the direct hand-off
        assert tick1 > tick0

    gonet.run(main)


def test_settle_entry_advances_schedtick() -> None:
    seen: list[tuple[int, Any, int]] = []
    before: list[int] = []

    def hook(rt: Any) -> None:
        before.append(rt.schedtick)
        rt.settle()  # runs what main left runnable (gonet.testing's leak check does this)

    def late() -> None:
        seen.append(_seen())

    def main() -> None:
        gonet.go(late)  # runnable, not started, when main returns

    proc.MAIN_RETURN_HOOKS.insert(0, hook)  # before the leak check's own settle
    try:
        gonet.run(main)
    finally:
        proc.MAIN_RETURN_HOOKS.remove(hook)
    assert len(seen) == 1 and len(before) == 1
    assert seen[0][0] > before[0]


@pytest.mark.leaves_goroutines  # shutdown stops it: the path under test
def test_shutdown_entry_advances_schedtick() -> None:
    seen: list[tuple[int, Any]] = []
    last: list[int] = []

    def parked_forever(ch: gonet.Chan[None]) -> None:
        try:
            ch.recv()
        finally:  # entered by shutdown's throw of GoroutineExit
            rt: Any = getsched()
            seen.append((rt.schedtick, rt.curg))

    def main() -> gonet.Goroutine:
        g = gonet.go(parked_forever, gonet.Chan())
        gonet.gosched()  # it starts and parks
        last.append(getsched().schedtick)
        return g

    g = gonet.run(main)
    assert len(seen) == 1
    tick, curg = seen[0]
    assert curg is g
    assert tick > last[0]
