"""A goroutine's Python frames: its data stack, from its small root chunk and beyond (g.pxd).

Compiled on CPython 3.11, every goroutine starts in a C function that gives
its greenlet a 1,008-byte data-stack root chunk (``ROOT_CHUNK_BYTES``) instead
of CPython's 16 KiB one; frames that do not fit go into 16 KiB chunks CPython
pushes on top and pops again. These tests drive a goroutine's frames through
every edge of that — deep calls that overflow the root chunk while other
goroutines run and park at their own depths, unwinding back into it,
exceptions and ``RecursionError`` raised from deep down, goroutines killed at
shutdown while deep, generators and frames kept after the goroutine ended —
and check each frame saw its own values. The plain build runs them the same
way (its greenlets have CPython's chunk), so the two builds behave alike.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

import gonet
from gonet._runtime import g as gmod


def test_root_chunk_is_in_use_compiled_on_311() -> None:
    expect = 1008 if gonet.COMPILED and sys.version_info[:2] == (3, 11) else 0
    assert expect == gmod.ROOT_CHUNK_BYTES


def _deep(depth: int, park: gonet.Chan[int] | None, tag: int) -> int:
    """_deep recurses ``depth`` frames, each with its own locals, parks at the bottom, sums up."""
    mine = [tag, depth, tag * depth]  # locals that a clobbered frame would lose
    if depth == 0:
        got = park.recv() if park is not None else 0
        return got + tag
    below = _deep(depth - 1, park, tag)
    assert mine == [tag, depth, tag * depth]
    return below + 1


@pytest.mark.parametrize("depth", [0, 1, 5, 40, 400])
def test_goroutines_park_at_many_depths_and_unwind(depth: int) -> None:
    # Each goroutine parks `depth` frames down (400 frames: several 16 KiB chunks above
    # the root one), the others run and park at other depths meanwhile.
    def main() -> list[int]:
        chans: list[gonet.Chan[int]] = [gonet.Chan() for _ in range(20)]
        out: gonet.Chan[int] = gonet.Chan(20)

        def worker(i: int) -> None:
            out.send(_deep(depth + i % 3, chans[i], i))

        for i in range(20):
            gonet.go(worker, i)
        gonet.gosched()
        for i in reversed(range(20)):  # wake in another order than they parked
            chans[i].send(1000)
        return sorted(out.recv() for _ in range(20))

    assert gonet.run(main) == sorted(1000 + i + depth + i % 3 for i in range(20))


def test_deep_exception_unwinds_to_join() -> None:
    def boom(n: int) -> None:
        if n == 0:
            gonet.gosched()  # park deep, then raise
            raise ValueError("deep")
        boom(n - 1)

    def main() -> str:
        gs = [gonet.go(boom, n) for n in (0, 3, 300)]
        msgs = []
        for g in gs:
            with pytest.raises(ValueError) as e:
                g.join()
            msgs.append(str(e.value))
        return ",".join(msgs)

    assert gonet.run(main) == "deep,deep,deep"


def test_recursion_error_in_a_goroutine() -> None:
    def forever(n: int) -> int:
        return forever(n + 1) + 1

    def main() -> bool:
        g = gonet.go(forever, 0)
        with pytest.raises(RecursionError):
            g.join()
        # The goroutine's chunks are gone and the next ones start clean.
        return gonet.go(_deep, 100, None, 7).join() == 107

    assert gonet.run(main)


@pytest.mark.leaves_goroutines  # tests run()'s own clean-up: it stops them
def test_goroutines_killed_at_shutdown_while_deep() -> None:
    unwound: list[int] = []

    def parked(depth: int) -> None:
        try:
            _deep(depth, gonet.Chan(), 1)  # never woken
        finally:
            unwound.append(depth)

    def main() -> None:
        for depth in (0, 10, 300):
            gonet.go(parked, depth)
        gonet.gosched()

    gonet.run(main)  # shutdown throws GoroutineExit into each, from its deepest frame
    assert sorted(unwound) == [0, 10, 300]


def test_generator_and_frame_outlive_their_goroutine() -> None:
    # A generator's frame is copied out of the data stack when it suspends, and a
    # frame object kept by a traceback is copied out when its call returns: both
    # must read their own values after the goroutine (and its chunks) are gone.
    def make() -> tuple[Any, Any]:
        def gen(k: int) -> Any:
            local = [k] * 3
            while True:
                yield sum(local)
                local.append(k)

        def fails(marker: str) -> None:
            raise KeyError(marker)

        it = gen(5)
        next(it)
        try:
            fails("kept")
        except KeyError as e:
            tb = e.__traceback__
        assert tb is not None and tb.tb_next is not None
        return it, tb.tb_next.tb_frame

    def main() -> tuple[int, str]:
        it, frame = gonet.go(make).join()
        for _ in range(100):  # other goroutines reuse the freed chunks
            gonet.go(_deep, 50, None, 1).join()
        return next(it), frame.f_locals["marker"]

    assert gonet.run(main) == (20, "kept")
