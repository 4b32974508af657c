"""dump() shows the same frames in both builds (issue 7).

Compiled, the channel, lock, scheduler and I/O modules have no Python frames;
as plain Python they do. A goroutine dump hides gonet's runtime frames at
both ends of each stack (``gtrace.RUNTIME_PATHS``, as Go hides ``runtime.*``),
so what is left — the user's frames and the plain-Python layers above the
compiled ones (``Listener.accept``) — must be exactly the same list whichever
build runs. Each case parks a goroutine one way and compares the dumped
stack, frame by frame, with the one expected.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import gonet
from gonet._build import COMPILED_MODULES
from gonet._runtime.gtrace import is_runtime_file
from gonet.testing import MockClock, gotest, wait_all_blocked

HERE = Path(__file__).name


def _frames(text: str, gid: int) -> list[tuple[str, str]]:
    """The (file name, function) of each frame in goroutine ``gid``'s section, outermost first."""
    for sec in re.split(r"\n(?=goroutine \d+ \[)", text):
        if sec.startswith(f"goroutine {gid} ["):
            return [(Path(f).name, fn) for f, fn in
                    re.findall(r'File "([^"]+)", line \d+, in (\S+)', sec)]
    raise AssertionError(f"goroutine {gid} not in the dump:\n{text}")


def user_recv(ch: gonet.Chan[int]) -> None:
    try:
        ch.recv()
    except gonet.ChanClosedError:
        pass


def user_recv_ok(ch: gonet.Chan[int]) -> None:
    ch.recv_ok()


def user_range(ch: gonet.Chan[int]) -> None:
    for _ in ch:
        pass


def user_send(ch: gonet.Chan[int]) -> None:
    try:
        ch.send(1)
    except gonet.ChanClosedError:
        pass


def user_select(a: gonet.Chan[int], b: gonet.Chan[int]) -> None:
    gonet.select(a, (b, 1))


def user_lock(mu: gonet.Mutex) -> None:
    mu.lock()
    mu.unlock()


def user_wait(wg: gonet.WaitGroup) -> None:
    wg.wait()


def user_sleep() -> None:
    gonet.sleep(1000)


def user_join(g: gonet.Goroutine) -> None:
    g.join()


def user_read(c: gonet.Conn) -> None:
    try:
        c.read(10)
    except gonet.ClosedError:
        pass


def user_accept(ln: gonet.Listener) -> None:
    try:
        ln.accept()
    except gonet.ClosedError:
        pass


def test_every_compiled_module_is_hidden() -> None:
    """The compiled modules' frames exist only in the plain build: a dump must hide them."""
    for name in COMPILED_MODULES:
        assert is_runtime_file("/x/src/" + name.replace(".", "/") + ".py"), name
    assert not is_runtime_file("/x/src/gonet/net/listener.py")
    assert not is_runtime_file(f"/x/tests/{HERE}")


@gotest(clock=MockClock)
def test_dump_frames_are_the_users_in_either_build() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    sch: gonet.Chan[int] = gonet.Chan()
    a: gonet.Chan[int] = gonet.Chan()
    b: gonet.Chan[int] = gonet.Chan()
    mu = gonet.Mutex()
    mu.lock()
    wg = gonet.WaitGroup()
    wg.add(1)
    ln = gonet.listen("tcp", "127.0.0.1:0")
    client = gonet.dial("tcp", str(ln.addr))
    server = ln.accept()
    sleeper = gonet.go(user_sleep)
    cases: list[tuple[Callable[..., Any], tuple[Any, ...], list[tuple[str, str]]]] = [
        (user_recv, (ch,), [(HERE, "user_recv")]),
        (user_recv_ok, (ch,), [(HERE, "user_recv_ok")]),
        (user_range, (ch,), [(HERE, "user_range")]),
        (user_send, (sch,), [(HERE, "user_send")]),
        (user_select, (a, b), [(HERE, "user_select")]),
        (user_lock, (mu,), [(HERE, "user_lock")]),
        (user_wait, (wg,), [(HERE, "user_wait")]),
        (user_join, (sleeper,), [(HERE, "user_join")]),
        (user_read, (server,), [(HERE, "user_read")]),
        (user_accept, (ln,), [(HERE, "user_accept"), ("listener.py", "accept"),
                              ("fd_unix.py", "accept")]),
    ]
    gs = [(gonet.go(fn, *args), want) for fn, args, want in cases]
    try:
        wait_all_blocked()
        out = io.StringIO()
        gonet.dump(out, summary=False)
        text = out.getvalue()
    finally:
        for c in (ch, sch, a, b):
            c.close()
        mu.unlock()
        wg.done()
        client.close()
        server.close()
        ln.close()
        for g, _ in gs:
            g.join()
        sleeper.join()
    assert _frames(text, sleeper.id) == [(HERE, "user_sleep")], text
    for g, want in gs:
        assert _frames(text, g.id) == want, text
    # The running goroutine: the test itself, without dump()'s frames or the runtime's.
    main = _frames(text, 1)
    assert main[-1] == (HERE, "test_dump_frames_are_the_users_in_either_build"), main
    assert not any(is_runtime_file(f) for f, _ in main)


@pytest.mark.parametrize("summary", [True])
@gotest(clock=MockClock)
def test_summary_groups_by_the_same_frames(summary: bool) -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    gs = [gonet.go(user_recv, ch) for _ in range(3)]
    wait_all_blocked()
    out = io.StringIO()
    gonet.dump(out, summary=summary)
    ch.close()
    for g in gs:
        g.join()
    text = out.getvalue()
    assert re.search(r"^3 @ \[chan receive\]\n#\tuser_recv\t\S+test_dump_frames\.py:\d+\n\n",
                     text, re.M), text
