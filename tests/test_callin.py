"""Calling into a runtime from other threads: Runtime.post, current_runtime and its handle."""

from __future__ import annotations

import concurrent.futures
import math
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import gonet
from gonet.testing import wait_all_blocked


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


# --- from_thread / from_thread_nowait ----------------------------------------------------


def _with_threads(n: int, target: Callable[[int], None]) -> list[threading.Thread]:
    ts = [threading.Thread(target=target, args=(i,), name=f"caller-{i}") for i in range(n)]
    for t in ts:
        t.start()
    return ts


def test_eight_threads_each_hand_a_thousand_calls_to_one_runtime() -> None:
    n_threads, n_calls = 8, 1000
    results: dict[int, list[Any]] = {}

    def main() -> int:
        h = gonet.current_runtime()
        runtime_thread = threading.get_ident()
        ran = [0]

        def work(t: int, i: int) -> tuple[int, int, bool]:
            ran[0] += 1
            if i % 100 == 0:
                gonet.sleep(0)  # a call may park like any goroutine
            return t, i * i, threading.get_ident() == runtime_thread

        def caller(t: int) -> None:
            results[t] = [gonet.from_thread(h, work, t, i) for i in range(n_calls)]

        for th in _with_threads(n_threads, caller):
            gonet.blocking(th.join, 60)
        return ran[0]

    assert gonet.run(main) == n_threads * n_calls
    for t in range(n_threads):
        assert results[t] == [(t, i * i, True) for i in range(n_calls)]


def test_from_thread_reraises_and_passes_kwargs() -> None:
    def main() -> None:
        h = gonet.current_runtime()

        def body() -> None:
            assert gonet.from_thread(h, int, "ff", base=16) == 255
            with pytest.raises(KeyError, match="nope"):
                gonet.from_thread(h, {}.__getitem__, "nope")

        t = threading.Thread(target=body)
        t.start()
        gonet.blocking(t.join, 10)

    gonet.run(main)


def test_from_thread_on_the_runtimes_own_thread_raises() -> None:
    def main() -> None:
        h = gonet.current_runtime()
        with pytest.raises(RuntimeError, match="would wait for itself"):
            gonet.from_thread(h, print)

    gonet.run(main)


def test_thread_sending_on_a_channel_wakes_a_parked_goroutine_at_once() -> None:
    def main() -> tuple[list[int], float]:
        h = gonet.current_runtime()
        ch: gonet.Chan[int] = gonet.Chan()  # unbuffered: send waits for the receiver
        got: list[int] = []

        def receiver() -> None:
            for v in ch:
                got.append(v)

        r = gonet.go(receiver)
        wait_all_blocked()
        assert gonet.stats()["timers"] == 0
        sent_at: list[float] = []

        def sender() -> None:
            for i in range(3):
                sent_at.append(time.monotonic())
                gonet.from_thread(h, ch.send, i)  # returns once the receiver has it
            gonet.from_thread_nowait(h, ch.close).result(10)

        t = threading.Thread(target=sender)
        t.start()
        r.join()
        done = time.monotonic()
        gonet.blocking(t.join, 10)
        return got, done - sent_at[0]

    got, elapsed = gonet.run(main)
    assert got == [0, 1, 2]
    assert elapsed < 2.0


def test_from_thread_nowait_returns_a_future() -> None:
    def main() -> list[Any]:
        h = gonet.current_runtime()
        futs: list[concurrent.futures.Future[Any]] = []

        def body() -> None:
            futs.extend(gonet.from_thread_nowait(h, pow, 2, i) for i in range(10))

        t = threading.Thread(target=body)
        t.start()
        gonet.blocking(t.join, 10)
        own = gonet.from_thread_nowait(h, pow, 3, 2)  # fine on the own thread: nothing waits
        return [gonet.blocking(f.result, 10) for f in [*futs, own]]

    assert gonet.run(main) == [2 ** i for i in range(10)] + [9]


def test_from_thread_timeout_raises_timeout_error() -> None:
    def main() -> None:
        h = gonet.current_runtime()
        release: gonet.Chan[None] = gonet.Chan(1)
        errors: list[BaseException] = []

        def body() -> None:
            try:
                gonet.from_thread(h, release.recv, timeout=0.05)
            except TimeoutError as e:
                errors.append(e)
            gonet.from_thread(h, release.try_send, None)
            with pytest.raises(ValueError, match="NaN"):
                gonet.from_thread(h, print, timeout=math.nan)

        t = threading.Thread(target=body)
        t.start()
        gonet.blocking(t.join, 10)
        assert len(errors) == 1

    gonet.run(main)


@pytest.mark.leaves_goroutines  # the call's goroutine is stopped by the shutdown
def test_from_thread_after_shutdown_and_during_it() -> None:
    started = threading.Event()
    outcome: list[BaseException] = []
    handle: list[gonet.RuntimeHandle] = []

    def caller() -> None:
        try:
            # Never finishes on its own: the runtime shuts down around it.
            gonet.from_thread(handle[0], lambda: (started.set(), gonet.sleep(3600)))
        except BaseException as e:
            outcome.append(e)

    t = threading.Thread(target=caller)

    def main() -> None:
        handle.append(gonet.current_runtime())
        t.start()
        gonet.blocking(started.wait, 10)

    gonet.run(main)
    t.join(10)
    assert not t.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], RuntimeError)
    assert "shut down while running the call" in str(outcome[0])
    with pytest.raises(RuntimeError, match="shut down"):
        gonet.from_thread(handle[0], print)


def test_from_thread_from_a_goroutine_of_another_runtime_parks_it() -> None:
    def main() -> tuple[int, int]:
        h = gonet.current_runtime()
        gate: gonet.Chan[int] = gonet.Chan(1)
        out: list[tuple[int, int]] = []

        def other() -> None:
            def other_main() -> None:
                ticks = [0]
                stop = [False]

                def ticker() -> None:
                    while not stop[0]:
                        ticks[0] += 1
                        gonet.sleep(0.001)

                tk = gonet.go(ticker)
                v = gonet.from_thread(h, gate.recv)  # parks this goroutine only
                out.append((v, ticks[0]))
                stop[0] = True
                tk.join()

            gonet.run(other_main)

        t = threading.Thread(target=other)
        t.start()
        gonet.sleep(0.05)  # the other runtime's ticker runs meanwhile
        gate.send(42)
        gonet.blocking(t.join, 10)
        return out[0]

    v, ticks = gonet.run(main)
    assert v == 42
    assert ticks > 1  # its runtime kept running while the goroutine waited


def test_from_thread_inside_a_blocking_worker_of_the_same_runtime() -> None:
    def main() -> int:
        h = gonet.current_runtime()
        return int(gonet.blocking(gonet.from_thread, h, lambda: 6 * 7))

    assert gonet.run(main) == 42


def test_from_thread_rejects_things_that_are_not_runtimes() -> None:
    with pytest.raises(TypeError, match="runtime handle"):
        gonet.from_thread_nowait(object(), print)  # type: ignore[arg-type]
