"""Observability: gonet.dump(), gonet.stats(), SIGQUIT dumps, sysmon and the deadlock report."""

from __future__ import annotations

import io
import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import gonet
from gonet.testing import MockClock, gotest, wait_all_blocked

SRC = str(Path(gonet.__file__).resolve().parent.parent)


def _dump() -> str:
    buf = io.StringIO()
    gonet.dump(buf)
    return buf.getvalue()


def _sections(text: str) -> dict[int, tuple[str, str]]:
    """Split a dump into {goroutine id: (state inside the brackets, stack text)}."""
    out: dict[int, tuple[str, str]] = {}
    parts = re.split(r"^goroutine (\d+) \[([^\]]*)\]:\n", text, flags=re.M)
    assert parts[0].strip() == "", f"text before the first goroutine: {parts[0]!r}"
    for i in range(1, len(parts), 3):
        out[int(parts[i])] = (parts[i + 1], parts[i + 2])
    return out


# Goroutine bodies with distinctive names: the dump must name the user's function.


def user_sleeper_fn() -> None:
    gonet.sleep(1000)


def user_receiver_fn(ch: gonet.Chan[int]) -> None:
    ch.recv_ok()


def user_sender_fn(ch: gonet.Chan[int]) -> None:
    try:
        ch.send(1)
    except gonet.ChanClosedError:
        pass


def user_selector_fn(a: gonet.Chan[int], b: gonet.Chan[int]) -> None:
    gonet.select(a, b)


def user_locker_fn(mu: gonet.Mutex) -> None:
    mu.lock()
    mu.unlock()


def user_io_waiter_fn(ln: gonet.Listener) -> None:
    try:
        ln.accept()
    except gonet.ClosedError:
        pass


def user_syscall_fn(ev: threading.Event) -> None:
    gonet.blocking(ev.wait, 30)


@gotest(clock=MockClock)
def test_dump_lists_every_goroutine_with_reason_and_stack() -> None:
    ev = threading.Event()
    ln = gonet.listen("tcp", "127.0.0.1:0")
    mu = gonet.Mutex()
    mu.lock()
    rch: gonet.Chan[int] = gonet.Chan()
    sch: gonet.Chan[int] = gonet.Chan()
    sel_a: gonet.Chan[int] = gonet.Chan()
    sel_b: gonet.Chan[int] = gonet.Chan()
    gs = {
        "sleep": (gonet.go(user_sleeper_fn), "user_sleeper_fn"),
        "chan receive": (gonet.go(user_receiver_fn, rch), "user_receiver_fn"),
        "chan send": (gonet.go(user_sender_fn, sch), "user_sender_fn"),
        "select": (gonet.go(user_selector_fn, sel_a, sel_b), "user_selector_fn"),
        r"semacquire|sync\.Mutex\.Lock": (gonet.go(user_locker_fn, mu), "user_locker_fn"),
        "IO wait": (gonet.go(user_io_waiter_fn, ln), "user_io_waiter_fn"),
        "syscall": (gonet.go(user_syscall_fn, ev), "user_syscall_fn"),
    }
    try:
        wait_all_blocked()
        text = _dump()
    finally:
        ev.set()
        ln.close()
        rch.close()
        sch.close()
        sel_a.close()
        mu.unlock()
        for g, _ in gs.values():
            g.join()  # the sleeper's 1000 s pass instantly on the virtual clock
    secs = _sections(text)
    assert set(secs) == {1} | {g.id for g, _ in gs.values()}, text
    # The main goroutine is running, and its stack names this test.
    state, stack = secs[1]
    assert state == "running"
    assert "test_dump_lists_every_goroutine_with_reason_and_stack" in stack
    for reason, (g, fn) in gs.items():
        state, stack = secs[g.id]
        # Go's header: [reason, time waited]
        assert re.fullmatch(rf"(?:{reason}), .*\S", state), (g.id, state)
        assert fn in stack, (g.id, stack)
        assert 'File "' in stack  # a real Python stack, not just a name


@gotest(clock=MockClock)
def test_dump_shows_time_waited_in_virtual_minutes() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    g = gonet.go(user_receiver_fn, ch)
    wait_all_blocked()
    gonet.sleep(5 * 60)  # five virtual minutes, instantly
    text = _dump()
    state, stack = _sections(text)[g.id]
    assert state == "chan receive, 5 minutes", text
    assert "user_receiver_fn" in stack
    ch.close()
    g.join()


@gotest(clock=MockClock)
def test_dump_time_waited_seconds_and_sleep() -> None:
    g = gonet.go(gonet.sleep, 100)
    wait_all_blocked()
    gonet.sleep(2)
    state, _ = _sections(_dump())[g.id]
    assert state.startswith("sleep, 2")
    assert "second" in state
    g.join()


@gotest
def test_dump_default_file_is_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    gonet.dump()
    err = capsys.readouterr().err
    assert "goroutine 1 [running]:" in err


def test_dump_outside_runtime_does_not_raise() -> None:
    buf = io.StringIO()
    gonet.dump(buf)  # no runtime: a message, never an exception
    assert buf.getvalue().strip() != ""


# --- stats ---------------------------------------------------------------------------------


@gotest(clock=MockClock)
def test_stats_keys_and_counts() -> None:
    st = gonet.stats()
    for key in ("goroutines", "runnable", "waiting", "netpoll_fds", "netpoll_calls"):
        assert key in st
    assert st["goroutines"] == 1  # just main
    assert st["runnable"] == 0
    assert st["waiting"] == {}
    base_fds = st["netpoll_fds"]

    ch: gonet.Chan[int] = gonet.Chan()
    receivers = [gonet.go(user_receiver_fn, ch) for _ in range(3)]
    sleepers = [gonet.go(gonet.sleep, 10) for _ in range(2)]
    st = gonet.stats()
    assert st["goroutines"] == 6
    assert st["runnable"] == 5  # created, not yet run
    wait_all_blocked()
    st = gonet.stats()
    assert st["goroutines"] == 6
    assert st["runnable"] == 0
    assert st["waiting"] == {"chan receive": 3, "sleep": 2}

    ch.close()
    for g in receivers + sleepers:
        g.join()
    st = gonet.stats()
    assert st["goroutines"] == 1
    assert st["waiting"] == {}
    assert st["netpoll_fds"] == base_fds


@gotest
def test_stats_netpoll_fds_and_calls() -> None:
    st0 = gonet.stats()
    ln = gonet.listen("tcp", "127.0.0.1:0")
    assert gonet.stats()["netpoll_fds"] == st0["netpoll_fds"] + 1
    c = gonet.dial("tcp", str(ln.addr))
    s = ln.accept()
    assert gonet.stats()["netpoll_fds"] == st0["netpoll_fds"] + 3
    calls_before = gonet.stats()["netpoll_calls"]
    reader = gonet.go(s.read, 10)
    wait_all_blocked()
    assert gonet.stats()["waiting"].get("IO wait") == 1
    c.write(b"ping")
    assert reader.join() == b"ping"
    calls_after = gonet.stats()["netpoll_calls"]
    assert calls_after > calls_before  # the wake-up came through epoll_wait
    for x in (c, s, ln):
        x.close()
    st = gonet.stats()
    assert st["netpoll_fds"] == st0["netpoll_fds"]
    assert st["netpoll_calls"] >= calls_after  # a counter never goes back


def test_stats_outside_runtime_raises() -> None:
    with pytest.raises(RuntimeError):
        gonet.stats()


# --- deadlock ------------------------------------------------------------------------------


def test_deadlock_message_has_dump() -> None:
    def stuck_helper_fn(ch: gonet.Chan[int]) -> None:
        ch.recv()

    def main() -> None:
        ch: gonet.Chan[int] = gonet.Chan()
        gonet.go(stuck_helper_fn, ch)
        gonet.Chan().send(1)

    with pytest.raises(gonet.DeadlockError) as ei:
        gonet.run(main)
    msg = str(ei.value)
    assert "all goroutines are asleep - deadlock!" in msg
    assert "goroutine 1 [chan send" in msg
    assert "goroutine 2 [chan receive" in msg
    assert "stuck_helper_fn" in msg
    assert "main" in msg


# --- subprocesses: SIGQUIT and sysmon ------------------------------------------------------


def _spawn(script: str, env_extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("GONET_SYSMON", None)
    env.update(env_extra or {})
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env)


def _read_until(stream: object, pattern: str, timeout: float) -> str:
    """Read a pipe (unbuffered, straight from its fd) until ``pattern`` matches, within ``timeout``."""
    deadline = time.monotonic() + timeout
    data = b""
    fd = stream.fileno()  # type: ignore[attr-defined]
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break  # EOF
        data += chunk
        if re.search(pattern, data.decode(errors="replace"), re.M):
            return data.decode(errors="replace")
    raise AssertionError(f"{pattern!r} not seen within {timeout}s; got:\n{data.decode()}")


SIGQUIT_SCRIPT = """
    import sys
    import gonet

    def parked_user_goroutine(ch):
        ch.recv_ok()

    def announce():
        # Runs only once main is parked in blocking(): the dump then sees it in "syscall".
        print("READY", flush=True)

    def main():
        ch = gonet.Chan()
        g = gonet.go(parked_user_goroutine, ch)
        gonet.sleep(0)
        gonet.go(announce)
        line = gonet.blocking(sys.stdin.readline)
        ch.close()
        g.join()
        print("EXITING", line.strip(), flush=True)

    gonet.run(main)
"""


def test_sigquit_dumps_goroutines_and_keeps_running() -> None:
    p = _spawn(SIGQUIT_SCRIPT)
    try:
        assert p.stdout is not None and p.stderr is not None and p.stdin is not None
        _read_until(p.stdout, r"^READY", 30)
        os.kill(p.pid, signal.SIGQUIT)
        err = _read_until(p.stderr, r"^goroutine 2 \[.*\n.*parked_user_goroutine", 30)
        assert "goroutine 1 [" in err
        assert p.poll() is None, "the process died on SIGQUIT"
        out, rest = p.communicate("bye\n", timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            if f is not None:
                f.close()
    err += rest
    assert p.returncode == 0, err
    assert "EXITING bye" in out
    assert re.search(r"^goroutine 1 \[syscall", err, re.M), err
    assert re.search(r"^goroutine 2 \[chan receive", err, re.M), err
    assert "parked_user_goroutine" in err
    assert "Traceback" not in err


SYSMON_SCRIPT = """
    import sys
    import threading
    import time
    import gonet

    reported = threading.Event()

    class Tee:
        def __init__(self, f):
            self.f = f
        def write(self, s):
            if "has held the thread" in s:
                reported.set()
            return self.f.write(s)
        def flush(self):
            self.f.flush()
        def __getattr__(self, name):
            return getattr(self.f, name)

    sys.stderr = Tee(sys.stderr)

    def hog_the_thread_fn():
        # Busy-loop without yielding for at least 300 ms; under heavy machine load keep
        # going (bounded) until sysmon has had the chance to report.
        start = time.monotonic()
        x = 0
        while True:
            x += 1
            el = time.monotonic() - start
            if el > 0.3 and (reported.is_set() or el > 20):
                break
        return x

    def main():
        other = gonet.go(gonet.sleep, 0.001)
        hog_the_thread_fn()
        other.join()
        print("DONE", flush=True)

    gonet.run(main)
"""


def test_sysmon_reports_goroutine_holding_the_thread() -> None:
    p = _spawn(SYSMON_SCRIPT, {"GONET_SYSMON": "50"})
    try:
        out, err = p.communicate(timeout=45)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert "DONE" in out
    assert "has held the thread" in err
    assert "goroutine 1 " in err
    assert "hog_the_thread_fn" in err  # the report carries the hogging stack


def test_sysmon_off_by_default() -> None:
    script = SYSMON_SCRIPT.replace("el > 20", "el > 0.5")
    p = _spawn(script)
    try:
        out, err = p.communicate(timeout=45)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert "DONE" in out
    assert "has held the thread" not in err
