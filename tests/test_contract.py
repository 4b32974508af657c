"""Places where the documents once contradicted the code (issue 6 item 9), pinned down.

* ``hup`` is sticky: nothing clears it after EOF or an error, and that is
  what keeps a read after a short read from parking for an edge that never
  comes (``docs/design.md``, ``_poll/fd_unix.py``);
* an unnamed unix peer is ``Addr(network, "@")``, as Go's ``RemoteAddr``;
  a datagram from an unnamed unixgram socket has no sender (``None``), as
  Go's ``ReadFrom`` (``docs/spec.md``);
* ``KeyboardInterrupt``/``SystemExit`` end ``run()`` wherever they are
  raised — in a goroutine (``goexit.py``) or in the scheduler, which is
  why ``gonet.echo`` turns signals into a flag (``echo.py``).

And the pitfalls ``docs/spec.md`` lists (issue 6 item 10), as they behave:
``set_read_deadline(0)`` expires at once, an empty ``Chan`` is falsy,
and ``MockClock`` jumps while a ``blocking()`` call runs (the descriptor
limit's restore is tested in ``test_rlimit.py``).
"""

from __future__ import annotations

import signal
import socket
import threading
from pathlib import Path

import pytest

import gonet
from gonet.testing import MockClock, gotest, open_fds, wait_all_blocked
from netutil import linger_reset, pipe

#: A read that should return at once gets this long before the test calls it a hang.
GUARD = 5.0


# --- hup is sticky ----------------------------------------------------------------------


@gotest
def test_hup_survives_eof_and_reads_after_a_short_read_never_park() -> None:
    c, s = pipe()
    with c, s:
        s.set_read_deadline(gonet.monotonic() + GUARD)  # a parked read fails instead of hanging
        g = gonet.go(s.read)
        wait_all_blocked()  # the reader is parked: the netpoller's event wakes it
        c.write(b"abc")
        c.close_write()  # data and FIN reach the server before the next epoll_wait
        assert g.join() == b"abc"  # a short read: the next read would park first...
        pd = s._pfd.pd
        assert pd.hup  # ...but the same event recorded the hang-up
        assert s.read() == b""
        assert pd.hup  # EOF does not clear it
        assert s.read() == b""  # and every later read is EOF at once, without a new edge
        assert s.read(1) == b""
        assert pd.hup


@gotest
def test_hup_survives_a_reset() -> None:
    c, s = pipe()
    with s:
        s.set_read_deadline(gonet.monotonic() + GUARD)
        g = gonet.go(s.read)
        wait_all_blocked()
        linger_reset(c)
        with pytest.raises(ConnectionResetError):
            g.join()
        pd = s._pfd.pd
        assert pd.hup  # an error does not clear it either
        assert s.read() == b""  # after the reset is reported, reads are EOF at once
        assert pd.hup
        assert s.read() == b""


# --- unnamed unix peers -----------------------------------------------------------------


@pytest.mark.parametrize("network", ["unix", "unixpacket"])
@gotest
def test_unnamed_unix_peer_is_at_sign(network: str, tmp_path: Path) -> None:
    """Go's syscall names an unnamed unix socket "@" (anyToSockaddr); RemoteAddr shows it."""
    path = str(tmp_path / "s.sock")
    with gonet.listen(network, path) as ln:
        g = gonet.go(ln.accept)
        with gonet.dial(network, path) as c, g.join() as s:
            assert s.remote_addr == gonet.Addr(network, "@", None)
            assert str(s.remote_addr) == "@"
            assert c.local_addr == gonet.Addr(network, "@", None)
            assert c.remote_addr == s.local_addr == gonet.Addr(network, path, None)


@gotest
def test_datagram_from_unnamed_unixgram_socket_has_no_sender(tmp_path: Path) -> None:
    """Go's ReadFrom returns a nil address: the kernel reports no name for such a sender."""
    path = str(tmp_path / "g.sock")
    with gonet.listen_packet("unixgram", path) as pc:
        pc.set_read_deadline(gonet.monotonic() + GUARD)
        with gonet.dial("unixgram", path) as c:
            assert c.local_addr == gonet.Addr("unixgram", "@", None)
            c.write(b"from gonet")
            assert pc.read_from() == (b"from gonet", None)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as plain:
            plain.sendto(b"from a plain socket", path)
            assert pc.read_from() == (b"from a plain socket", None)
        bound = str(tmp_path / "b.sock")
        with gonet.listen_packet("unixgram", bound) as named:
            named.write_to(b"named", path)
            assert pc.read_from() == (b"named", gonet.Addr("unixgram", bound, None))


# --- KeyboardInterrupt and SystemExit end run() -----------------------------------------


@pytest.mark.leaves_goroutines  # run() itself must stop what is left
@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_in_a_goroutine_ends_run(exc: type[BaseException]) -> None:
    unwound: list[str] = []
    before = open_fds()

    def bystander() -> None:
        try:
            gonet.sleep(60)
        finally:
            unwound.append("bystander")

    def interrupter() -> None:
        raise exc()

    def main() -> None:
        ln = gonet.listen("tcp", "127.0.0.1:0")  # left open: shutdown must close it
        gonet.go(bystander)
        gonet.go(ln.accept)
        gonet.go(interrupter)
        try:
            gonet.sleep(60)
        finally:
            unwound.append("main")

    with pytest.raises(exc):
        gonet.run(main)
    assert sorted(unwound) == ["bystander", "main"]  # the normal shutdown ran first
    assert open_fds() == before


def _in_epoll_wait(native_tid: int) -> bool:
    """_in_epoll_wait reports whether thread ``native_tid`` is blocked in epoll_wait (x86-64 numbers)."""
    try:
        with open(f"/proc/self/task/{native_tid}/syscall") as f:
            return f.read().split()[0] in ("232", "281", "441")  # epoll_wait, epoll_pwait, epoll_pwait2
    except (OSError, IndexError):
        return True  # cannot tell: send the signal anyway (it may then land in a goroutine)


@pytest.mark.leaves_goroutines
@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="Python runs signal handlers in the main thread only")
def test_sigint_in_the_scheduler_ends_run() -> None:
    """Ctrl-C while the scheduler waits in epoll_wait: KeyboardInterrupt out of run()."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    main_ident, main_tid = threading.get_ident(), threading.get_native_id()
    parked = threading.Event()
    unwound: list[str] = []
    before = open_fds()

    def interrupt() -> None:
        parked.wait(GUARD)
        stop = threading.Event()
        for _ in range(5000):  # bounded: at most ~5 s
            if _in_epoll_wait(main_tid):
                break
            stop.wait(0.001)
        signal.pthread_kill(main_ident, signal.SIGINT)  # to the thread in epoll_wait

    def main() -> None:
        t = threading.Thread(target=interrupt)
        t.start()
        try:
            with gonet.listen("tcp", "127.0.0.1:0") as ln:
                gonet.go(ln.accept)
                parked.set()
                gonet.sleep(60)
        finally:
            unwound.append("main")
            t.join()

    try:
        with pytest.raises(KeyboardInterrupt):
            gonet.run(main)
    finally:
        signal.signal(signal.SIGINT, old)
    assert unwound == ["main"]  # the normal shutdown unwound the parked main goroutine
    assert open_fds() == before


# --- the pitfalls docs/spec.md lists, as they behave ------------------------------------


@gotest
def test_deadline_zero_is_long_past_and_none_is_no_deadline() -> None:
    c, s = pipe()
    with c, s:
        s.set_read_deadline(0)  # not Go's zero time: a time long past
        with pytest.raises(gonet.DeadlineExceededError):
            s.read()
        s.set_read_deadline(None)  # no deadline
        g = gonet.go(s.read)
        wait_all_blocked()
        assert not g.done()  # parked, not timed out
        c.write(b"x")
        assert g.join() == b"x"


@gotest
def test_an_empty_chan_is_falsy() -> None:
    ch: gonet.Chan[int] = gonet.Chan(1)
    assert not ch and ch is not None  # __len__: no buffered values
    ch.send(1)
    assert ch
    assert not gonet.Chan()  # unbuffered: always empty


@gotest(clock=MockClock)
def test_mock_clock_jumps_while_a_blocking_call_runs() -> None:
    """Virtual time runs on while a worker thread runs a blocking() call."""
    release = threading.Event()

    def sleeper() -> None:
        gonet.sleep(10)  # virtual seconds: only a jump can end this
        release.set()  # ...and only then may the worker's call return

    start = gonet.monotonic()
    g = gonet.go(sleeper)
    assert gonet.blocking(release.wait, 30)
    assert gonet.monotonic() - start == 10  # the clock jumped while blocking() was pending
    g.join()
