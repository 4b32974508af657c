"""No reference cycle through a channel sudog or a goroutine outlives its goroutine.

Compiled, sudogs are not tracked by the cyclic GC (``acquire_sudog`` untracks
each new one: one tracked object less per parked goroutine), so a cycle through one would be a
leak nobody could find. These tests end goroutines in each state in which a
sudog references its goroutine, channel or value — parked in ``recv``, in
``send`` of a value that references the channel, in ``select``, and readied
(value handed over) but killed at shutdown before it ran again — and check
that the channel is freed once the program drops it. The plain build runs
them too: its sudogs are tracked, so they must pass there in any case, and
the two builds behave alike.

Goroutines and their greenlets are untracked too while the runtime holds them
(``gctrack``): the last tests check that they are tracked again once they end,
so a cycle through a finished goroutine's result or exception, or through one
killed at shutdown, is freed.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from greenlet import greenlet

import gonet

# Most of these tests leave goroutines parked on purpose: shutdown is what kills them.
pytestmark = pytest.mark.leaves_goroutines


def _freed_after_run(body: Callable[[gonet.Chan[Any], gonet.Chan[Any]], None]) -> bool:
    """_freed_after_run runs ``body(a, b)`` in a runtime, then tells whether ``a`` and ``b`` died.

    The channels are created inside the runtime (they belong to it) and only
    weak references leave it; shutdown kills whatever ``body`` left parked.
    """
    refs: list[weakref.ref[gonet.Chan[Any]]] = []

    def main() -> None:
        a: gonet.Chan[Any] = gonet.Chan()
        b: gonet.Chan[Any] = gonet.Chan()
        refs.extend([weakref.ref(a), weakref.ref(b)])
        body(a, b)

    gonet.run(main)
    gc.collect()
    return all(r() is None for r in refs)


def _go_and_park(fn: Callable[..., Any], *args: Any) -> gonet.Goroutine:
    g = gonet.go(fn, *args)
    gonet.gosched()  # it runs and parks
    assert not g.done()
    return g


def test_parked_receiver_killed_at_shutdown() -> None:
    def body(a: gonet.Chan[Any], b: gonet.Chan[Any]) -> None:
        _go_and_park(a.recv)
        _go_and_park(b.recv_ok)

    assert _freed_after_run(body)


def test_parked_sender_of_its_own_channel_killed_at_shutdown() -> None:
    # The sudog's value is the channel whose queue holds the sudog.
    def body(a: gonet.Chan[Any], b: gonet.Chan[Any]) -> None:
        _go_and_park(a.send, a)
        _go_and_park(b.send, (b, a))

    assert _freed_after_run(body)


def test_parked_select_killed_at_shutdown() -> None:
    # A select parked on a receive and a send of the channel itself, and one behind it.
    def body(a: gonet.Chan[Any], b: gonet.Chan[Any]) -> None:
        _go_and_park(gonet.select, a, (b, b))
        _go_and_park(gonet.select, a)

    assert _freed_after_run(body)


def test_parked_two_receive_select_killed_at_shutdown() -> None:
    # select(a, b) on two plain Chans parks by its own path (two sudogs, no chain):
    # killed there, it leaves neither queue holding a sudog, and both channels die.
    queues: list[tuple[int, int]] = []

    def body(a: gonet.Chan[Any], b: gonet.Chan[Any]) -> None:
        _go_and_park(gonet.select, a, b)
        _go_and_park(gonet.select, b, a)
        queues.append((len(a.recvq), len(b.recvq)))  # type: ignore[attr-defined]

    assert _freed_after_run(body)
    assert queues == [(2, 2)]


@pytest.mark.parametrize("how", ["send", "close"])
def test_readied_receiver_killed_before_it_ran(how: str) -> None:
    # The receiver is handed its sudog (Goroutine.wakeval) and made runnable; main
    # returns at once, so shutdown kills it before gopark returned and cleared it.
    killed: list[gonet.Goroutine] = []

    def body(a: gonet.Chan[Any], b: gonet.Chan[Any]) -> None:
        killed.append(_go_and_park(a.recv_ok))
        killed.append(_go_and_park(gonet.select, b))
        killed.append(_go_and_park(gonet.select, b, a))
        if how == "send":
            a.send(a)
            b.send(b)
        else:
            a.close()
            b.close()

    assert _freed_after_run(body)
    assert all(g.done() for g in killed)
    assert all(g.wakeval is None for g in killed)  # type: ignore[attr-defined]


def test_readied_sender_killed_before_it_ran() -> None:
    def body(a: gonet.Chan[Any], b: gonet.Chan[Any]) -> None:
        _go_and_park(a.send, a)
        _go_and_park(gonet.select, (b, b))
        assert a.recv() is a
        assert b.recv() is b

    assert _freed_after_run(body)


def test_goroutines_that_used_channels_are_freed() -> None:
    # Each goroutine parks several times (its sudog cache), then ends normally.
    def body(a: gonet.Chan[Any], b: gonet.Chan[Any]) -> None:
        done: gonet.Chan[None] = gonet.Chan(10)

        def worker() -> None:
            for _ in range(3):
                a.recv()
                gonet.select(b, (b, None))
            done.send(None)

        for _ in range(10):
            gonet.go(worker)
        gonet.gosched()
        for _ in range(30):
            a.send(a)
            b.send(b)
        for _ in range(10):
            done.recv()

    assert _freed_after_run(body)


def test_goroutine_that_never_started_is_freed_with_its_arguments() -> None:
    # go()'s argument tuple is untracked (compiled); this one is in a cycle back to its
    # goroutine, which never runs (main returns first): shutdown must let the call go.
    class Box:
        g: gonet.Goroutine | None = None

    refs: list[weakref.ref[Box]] = []

    def main() -> None:
        box = Box()
        box.g = gonet.go(lambda b: None, box)
        refs.append(weakref.ref(box))

    gonet.run(main)
    gc.collect()
    assert refs[0]() is None


class _Box:
    """A weak-referenceable object to put in a cycle."""

    g: gonet.Goroutine | None = None
    glet: Any = None


class _Raised(Exception):
    """An exception that carries a reference to its goroutine (through its argument)."""


def test_goroutine_untracked_while_alive_and_tracked_after() -> None:
    seen: list[bool] = []

    def main() -> None:
        g = _go_and_park(gonet.Chan[None]().recv)
        seen.append(gc.is_tracked(g))
        done = gonet.go(lambda: None)
        done.join()
        seen.append(gc.is_tracked(done))

    gonet.run(main)
    # Compiled: out of the GC while alive (gctrack); plain Python cannot untrack.
    assert seen == [not gonet.COMPILED, True]


def _box_freed_after_run(body: Callable[[_Box], None]) -> bool:
    """_box_freed_after_run runs ``body(box)`` in a runtime, then tells whether ``box`` died.

    ``body`` puts the box in a cycle through a goroutine; only a weak
    reference leaves the runtime.
    """
    refs: list[weakref.ref[_Box]] = []

    def main() -> None:
        box = _Box()
        refs.append(weakref.ref(box))
        body(box)

    gonet.run(main)
    gc.collect()
    return refs[0]() is None


def test_cycle_through_a_finished_goroutines_result_is_freed() -> None:
    def body(box: _Box) -> None:
        box.g = gonet.go(lambda: box)
        assert box.g.join() is box  # box.g._result is box: a cycle

    assert _box_freed_after_run(body)


def test_cycle_through_a_goroutines_exception_is_freed() -> None:
    def raiser(box: _Box) -> None:
        raise _Raised(box)

    def body(box: _Box) -> None:
        box.g = gonet.go(raiser, box)
        with pytest.raises(_Raised):
            box.g.join()

    assert _box_freed_after_run(body)


def test_cycle_through_the_greenlet_of_a_goroutine_killed_at_shutdown_is_freed() -> None:
    # The goroutine's greenlet and the box refer to each other; goexit0 must track
    # the greenlet again before letting it go, or the cycle could never be found.
    def parked(box: _Box, c: gonet.Chan[None]) -> None:
        glet = greenlet.getcurrent()
        glet.box = box
        box.glet = glet
        c.recv()

    def body(box: _Box) -> None:
        _go_and_park(parked, box, gonet.Chan())

    assert _box_freed_after_run(body)
