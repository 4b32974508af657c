"""Calling into a runtime from other threads: Runtime.post, current_runtime and its handle."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import pytest

import gonet


def test_current_runtime_outside_a_runtime_raises() -> None:
    with pytest.raises(RuntimeError, match="no runtime"):
        gonet.current_runtime()


def test_current_runtime_returns_one_handle_naming_its_thread() -> None:
    def main() -> gonet.RuntimeHandle:
        h = gonet.current_runtime()
        assert h is gonet.current_runtime()
        assert h.running
        assert h.thread_id == threading.get_ident()
        assert "MainThread" in h.name and h.name in repr(h)
        return h

    h = gonet.run(main)
    assert not h.running
    assert "shut down" in repr(h)


def test_post_from_a_thread_wakes_a_runtime_with_no_timers() -> None:
    # Nothing in the runtime would ever wake main: only the posted call can.
    seen: list[int] = []

    def main() -> int:
        h = gonet.current_runtime()
        ch: gonet.Chan[int] = gonet.Chan(1)

        def on_runtime(v: int) -> None:
            seen.append(threading.get_ident())
            assert ch.try_send(v)

        t = threading.Thread(target=h.post, args=(on_runtime, 7))
        t.start()
        v = ch.recv()
        t.join(5)
        assert gonet.stats()["timers"] == 0
        return v

    assert gonet.run(main) == 7
    assert seen == [threading.get_ident()]  # ran on the runtime's own thread


def test_post_may_start_goroutines_and_runs_in_posting_order() -> None:
    def main() -> list[int]:
        h = gonet.current_runtime()
        out: gonet.Chan[int] = gonet.Chan(100)

        def start(i: int) -> None:
            gonet.go(out.send, i)

        def poster() -> None:
            for i in range(100):
                h.post(start, i)

        t = threading.Thread(target=poster)
        t.start()
        got = [out.recv() for _ in range(100)]
        t.join(5)
        return got

    assert gonet.run(main) == list(range(100))


def test_post_after_shutdown_raises_naming_the_runtime() -> None:
    h = gonet.run(gonet.current_runtime)
    with pytest.raises(RuntimeError, match=r"cannot post to gonet runtime \d+ .*shut down"):
        h.post(print, "never")


def test_post_from_a_signal_handler_wakes_the_runtime() -> None:
    def main() -> str:
        h = gonet.current_runtime()
        ch: gonet.Chan[str] = gonet.Chan(1)
        old = signal.signal(signal.SIGUSR1, lambda signum, frame: h.post(ch.try_send, "sig"))
        try:
            t = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGUSR1))
            t.start()
            v = ch.recv()
            t.join(5)
            return v
        finally:
            signal.signal(signal.SIGUSR1, old)

    assert gonet.run(main) == "sig"


def test_an_exception_in_a_posted_call_is_printed_and_the_runtime_goes_on(
        capfd: pytest.CaptureFixture[str]) -> None:
    def boom() -> None:
        raise ValueError("posted boom")

    def main() -> int:
        h = gonet.current_runtime()
        ch: gonet.Chan[int] = gonet.Chan(1)

        def poster() -> None:
            h.post(boom)
            h.post(ch.try_send, 1)

        t = threading.Thread(target=poster)
        t.start()
        v = ch.recv()
        t.join(5)
        return v

    assert gonet.run(main) == 1
    assert "posted boom" in capfd.readouterr().err


def test_blocking_still_hands_results_back_through_the_call_queue() -> None:
    def main() -> list[Any]:
        gs = [gonet.go(gonet.blocking, pow, 2, i) for i in range(20)]
        return [g.join() for g in gs]

    assert gonet.run(main) == [2 ** i for i in range(20)]
