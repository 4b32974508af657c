"""Signals: a signal wakes the netpoller in both builds; signal_notify / signal_stop (Go's os/signal)."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest

import gonet

WAIT = 10.0


def kill_when_in_epoll_wait(sig: int) -> threading.Thread:
    """kill_when_in_epoll_wait sends ``sig`` to the process once the main thread blocks in epoll_wait.

    The bug this guards against shows only when the signal interrupts a
    blocked ``epoll_wait``, so wait for exactly that state (the kernel shows
    it in ``/proc/self/task/TID/wchan``) instead of sleeping a guess.
    """
    tid = threading.main_thread().native_id
    path = f"/proc/self/task/{tid}/wchan"

    def body() -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with open(path) as f:
                if "epoll" in f.read():
                    break
            time.sleep(0.001)
        os.kill(os.getpid(), sig)

    t = threading.Thread(target=body, name="killer")
    t.start()
    return t


def test_signal_notify_wakes_a_goroutine_with_no_timers_and_no_deadlock() -> None:
    def main() -> tuple[Any, float, int]:
        ch: gonet.Chan[signal.Signals] = gonet.Chan(1)
        gonet.signal_notify(ch, signal.SIGUSR1)
        try:
            t = kill_when_in_epoll_wait(signal.SIGUSR1)
            start = time.monotonic()
            v = ch.recv()  # nothing else can wake the runtime: no timer, no I/O
            elapsed = time.monotonic() - start
            timers = gonet.stats()["timers"]
            gonet.blocking(t.join, WAIT)
            return v, elapsed, timers
        finally:
            gonet.signal_stop(ch)

    v, elapsed, timers = gonet.run(main)
    assert v is signal.SIGUSR1 and v == signal.SIGUSR1.value
    assert timers == 0
    assert elapsed < 2.0


def test_a_plain_signal_handler_wakes_the_netpoller_at_once() -> None:
    # The graceful-shutdown pattern of the issue, with the only timer an hour away:
    # the handler's send must not wait for it (it did in the plain-Python build).
    def main() -> float:
        stop: gonet.Chan[str] = gonet.Chan(1)
        old = signal.signal(signal.SIGUSR2, lambda signum, frame: stop.try_send("stop"))
        try:
            receiver = gonet.go(stop.recv)
            t = kill_when_in_epoll_wait(signal.SIGUSR2)
            start = time.monotonic()
            assert receiver.join(timeout=3600) == "stop"  # its timer: the only one
            elapsed = time.monotonic() - start
            gonet.blocking(t.join, WAIT)
            return elapsed
        finally:
            signal.signal(signal.SIGUSR2, old)

    assert gonet.run(main) < 2.0


def test_full_channel_drops_the_signal_as_go_does() -> None:
    main_ident = threading.main_thread().ident
    assert main_ident is not None

    def main() -> list[Any]:
        ch: gonet.Chan[Any] = gonet.Chan(1)
        ch.send("full")
        gonet.signal_notify(ch, signal.SIGUSR1)
        try:
            signal.pthread_kill(main_ident, signal.SIGUSR1)  # handler runs right after this
            gonet.gosched()  # the scheduler performs the posted send: the channel is full
            gonet.gosched()
            got = [ch.recv(), ch.try_recv()[2]]  # "full", then nothing: the signal was dropped
            signal.pthread_kill(main_ident, signal.SIGUSR1)
            got.append(ch.recv())  # room now: delivered
            return got
        finally:
            gonet.signal_stop(ch)

    assert gonet.run(main) == ["full", False, signal.SIGUSR1]


def test_signal_stop_restores_the_previous_handler_and_stops_delivery() -> None:
    seen: list[int] = []

    def mine(signum: int, frame: Any) -> None:
        seen.append(signum)

    old = signal.signal(signal.SIGUSR1, mine)
    try:
        def main() -> int:
            a: gonet.Chan[Any] = gonet.Chan(4)
            b: gonet.Chan[Any] = gonet.Chan(4)
            gonet.signal_notify(a, signal.SIGUSR1)
            gonet.signal_notify(b, signal.SIGUSR1, signal.SIGUSR2)
            assert signal.getsignal(signal.SIGUSR1) is not mine
            os.kill(os.getpid(), signal.SIGUSR1)
            assert a.recv() == signal.SIGUSR1 and b.recv() == signal.SIGUSR1  # both get it
            gonet.signal_stop(a)
            assert signal.getsignal(signal.SIGUSR1) is not mine  # b still wants it
            os.kill(os.getpid(), signal.SIGUSR1)
            assert b.recv() == signal.SIGUSR1
            gonet.gosched()
            assert len(a) == 0
            gonet.signal_stop(b)
            gonet.signal_stop(b)  # nothing left to stop: a no-op
            assert signal.getsignal(signal.SIGUSR1) is mine
            assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
            os.kill(os.getpid(), signal.SIGUSR1)
            gonet.gosched()
            return len(a) + len(b)

        assert gonet.run(main) == 0
        assert seen == [signal.SIGUSR1]
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_the_end_of_run_restores_handlers_and_the_wakeup_fd() -> None:
    before = signal.getsignal(signal.SIGUSR1)
    wakeup: list[int] = []

    def main() -> None:
        ch: gonet.Chan[Any] = gonet.Chan(1)
        gonet.signal_notify(ch, signal.SIGUSR1)
        fd = signal.set_wakeup_fd(-1)  # read the runtime's wake-up fd ...
        signal.set_wakeup_fd(fd)  # ... and put it back
        wakeup.append(fd)

    gonet.run(main)
    assert wakeup[0] >= 0
    assert signal.getsignal(signal.SIGUSR1) == before
    assert signal.set_wakeup_fd(-1) == -1  # restored: none was set before run()


def test_after_signal_stop_a_stuck_runtime_is_a_deadlock_again() -> None:
    def main() -> None:
        ch: gonet.Chan[Any] = gonet.Chan(1)
        gonet.signal_notify(ch, signal.SIGUSR1)
        gonet.signal_stop(ch)
        ch.recv()

    with pytest.raises(gonet.DeadlockError):
        gonet.run(main)


def test_signal_notify_without_signals_relays_every_catchable_signal() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGUSR2, signal.SIGPIPE, signal.SIGINT)}

    def main() -> Any:
        ch: gonet.Chan[Any] = gonet.Chan(1)
        gonet.signal_notify(ch)
        try:
            assert signal.getsignal(signal.SIGKILL) == signal.SIG_DFL
            os.kill(os.getpid(), signal.SIGUSR2)
            return ch.recv()
        finally:
            gonet.signal_stop(ch)

    assert gonet.run(main) == signal.SIGUSR2
    assert {s: signal.getsignal(s) for s in before} == before


def test_signal_notify_rejects_bad_calls() -> None:
    def main() -> None:
        ch: gonet.Chan[Any] = gonet.Chan(1)
        with pytest.raises(ValueError, match="cannot be relayed"):
            gonet.signal_notify(ch, signal.SIGKILL)
        with pytest.raises(ValueError):
            gonet.signal_notify(ch, 12345)
        with pytest.raises(TypeError):
            gonet.signal_notify("not a chan", signal.SIGUSR1)  # type: ignore[arg-type]

    gonet.run(main)
    with pytest.raises(RuntimeError):
        gonet.signal_notify(gonet.Chan(1), signal.SIGUSR1)  # outside a runtime


def test_signal_notify_on_a_runtime_off_the_main_thread_raises() -> None:
    errors: list[BaseException] = []

    def body() -> None:
        def main() -> None:
            try:
                gonet.signal_notify(gonet.Chan(1), signal.SIGUSR1)
            except RuntimeError as e:
                errors.append(e)

        gonet.run(main)

    t = threading.Thread(target=body)
    t.start()
    t.join(WAIT)
    assert len(errors) == 1 and "main thread" in str(errors[0])


def test_an_unnamed_real_time_signal_is_relayed_as_its_number() -> None:
    sig = signal.SIGRTMIN + 1

    def main() -> Any:
        ch: gonet.Chan[Any] = gonet.Chan(1)
        gonet.signal_notify(ch, sig)
        try:
            os.kill(os.getpid(), sig)
            return ch.recv()
        finally:
            gonet.signal_stop(ch)

    v = gonet.run(main)
    assert v == sig and type(v) is int
