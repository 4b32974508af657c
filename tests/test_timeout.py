"""Deadlines and timeouts: a port of Go's ``net/timeout_test.go`` (go1.22).

Deadlines are absolute times on the runtime clock (``gonet.monotonic()``).
Most tests run on a :class:`MockClock`, so "the read returned at the
deadline" is an exact equality on virtual time however loaded the machine
is; where real sockets must deliver data while a deadline timer is pending,
the clock gets an autojump threshold (``io_clock``) so that the kernel has
real time to deliver before virtual time jumps. A few tests use the real
clock on purpose (Go's max-duration and prolonged-timeout tests, and the
``time.monotonic()`` contract); their bounds are generous.

Go's table tests (``{-5s, [timeout, timeout]}``, ``{50ms, [nil, timeout]}``)
become: a past or present deadline fails at once and repeatedly without
consuming data; a future deadline lets the pending data through, then fails
exactly at the deadline; a new deadline makes the conn usable again.
"""

from __future__ import annotations

import contextlib
import datetime
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import gonet
from gonet import DeadlineExceededError
from gonet.testing import MockClock, gotest, wait_all_blocked

#: A chunk used to fill socket buffers quickly.
CHUNK = b"\x5a" * 65536


def io_clock() -> MockClock:
    """A virtual clock that gives real loopback I/O up to 0.1 real seconds before jumping."""
    return MockClock(autojump_threshold=0.1)


# --- helpers -----------------------------------------------------------------------------


@contextlib.contextmanager
def tcp_pair() -> Iterator[tuple[gonet.Conn, gonet.Conn]]:
    """A connected loopback TCP pair (client, server); both closed on exit."""
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        c = gonet.dial("tcp", str(ln.addr))
        s = ln.accept()
    with c, s:
        yield c, s


@contextlib.contextmanager
def unix_pair() -> Iterator[tuple[gonet.Conn, gonet.Conn]]:
    """A connected unix stream pair on an abstract address; both closed on exit."""
    with gonet.listen("unix", f"@gonet-test-timeout-{uuid.uuid4().hex}") as ln:
        c = gonet.dial("unix", str(ln.addr))
        s = ln.accept()
    with c, s:
        yield c, s


@contextlib.contextmanager
def udp_pair() -> Iterator[tuple[gonet.PacketConn, gonet.PacketConn]]:
    """Two loopback UDP packet conns (receiver, sender); both closed on exit."""
    with gonet.listen_packet("udp", "127.0.0.1:0") as r, \
            gonet.listen_packet("udp", "127.0.0.1:0") as s:
        yield r, s


def outcome(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """outcome runs ``fn(*args)``: (its result or the OSError it raised, the clock time then)."""
    try:
        result = fn(*args)
    except OSError as e:
        result = e
    return result, gonet.monotonic()


def fill(c: gonet.Conn) -> tuple[int, BaseException]:
    """fill writes until a write fails; returns (bytes written in total, the exception)."""
    total = 0
    while True:
        try:
            total += c.write(CHUNK)
        except OSError as e:
            return total + e.written, e  # type: ignore[attr-defined]


def drain_to_eof(c: gonet.Conn) -> int:
    """drain_to_eof reads until EOF (no deadline: waits for real I/O); returns the byte count."""
    total = 0
    while data := c.read():
        total += len(data)
    return total


def assert_timeout(e: object) -> None:
    """assert_timeout checks Go's isDeadlineExceeded: a TimeoutError with Go's message."""
    assert isinstance(e, DeadlineExceededError), repr(e)
    assert isinstance(e, TimeoutError)
    assert str(e).endswith("i/o timeout"), str(e)


PAST_AND_NOW = pytest.mark.parametrize("offset", [-5.0, 0.0], ids=["past", "now"])


# --- the error type ----------------------------------------------------------------------


def test_deadline_exceeded_error_is_timeout_error() -> None:
    assert issubclass(DeadlineExceededError, TimeoutError)
    assert issubclass(DeadlineExceededError, OSError)
    assert not issubclass(DeadlineExceededError, gonet.ClosedError)
    assert str(DeadlineExceededError()) == "i/o timeout"


@gotest(clock=MockClock)
def test_timeout_messages_name_op_network_and_addresses() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        ln.set_deadline(gonet.monotonic() - 1)
        with pytest.raises(DeadlineExceededError) as ei:
            ln.accept()
        assert str(ei.value) == f"accept tcp {ln.addr}: i/o timeout"
        ln.set_deadline(None)
        c = gonet.dial("tcp", str(ln.addr))
        s = ln.accept()
    with c, s:
        c.set_deadline(gonet.monotonic() - 1)
        with pytest.raises(DeadlineExceededError) as ei:
            c.read()
        assert str(ei.value) == f"read tcp {c.local_addr}->{c.remote_addr}: i/o timeout"
        assert str(c.local_addr).startswith("127.0.0.1:")
        with pytest.raises(DeadlineExceededError) as ei:
            c.write(b"x")
        assert str(ei.value) == f"write tcp {c.local_addr}->{c.remote_addr}: i/o timeout"
        assert ei.value.written == 0  # type: ignore[attr-defined]
    with udp_pair() as (r, _snd):
        r.set_read_deadline(gonet.monotonic())
        with pytest.raises(DeadlineExceededError) as ei:
            r.read_from()
        assert str(ei.value) == f"read udp {r.local_addr}: i/o timeout"


# --- Conn.read: TestReadTimeout ----------------------------------------------------------


@PAST_AND_NOW
@gotest(clock=MockClock)
def test_read_timeout_expired_deadline_with_data_ready(offset: float) -> None:
    # Go: "read deadlines work, even if there's data ready to be read".
    with tcp_pair() as (c, s):
        s.write(b"READ TIMEOUT TEST")
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + offset)
        for _ in range(3):
            with pytest.raises(DeadlineExceededError) as ei:
                c.read(1)
            assert_timeout(ei.value)
        assert gonet.monotonic() == t0  # failed at once, never parked
        c.set_read_deadline(None)
        got = b""
        while len(got) < 17:
            got += c.read()
        assert got == b"READ TIMEOUT TEST"  # nothing was consumed by the failed reads


@gotest(clock=io_clock)
def test_read_timeout_future_deadline() -> None:
    # Go's {50ms, [nil, timeout]}: the pending data is read, then the deadline fires.
    with tcp_pair() as (c, s):
        s.write(b"READ TIMEOUT TEST")
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + 0.05)
        got = b""
        with pytest.raises(DeadlineExceededError):
            while True:
                got += c.read(1)
        assert got == b"READ TIMEOUT TEST"
        assert gonet.monotonic() == t0 + 0.05
        # Sticky: further reads fail at once, even after new data arrives.
        s.write(b"late")
        gonet.sleep(1)
        with pytest.raises(DeadlineExceededError):
            c.read()
        assert gonet.monotonic() == pytest.approx(t0 + 1.05, abs=1e-9)


@gotest(clock=io_clock)
def test_read_deadline_reset_makes_conn_usable_again() -> None:
    with tcp_pair() as (c, s):
        s.write(b"before")
        c.set_read_deadline(gonet.monotonic() - 1)
        with pytest.raises(DeadlineExceededError):
            c.read()
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + 5)
        assert c.read(6) == b"before"

        def late_writer() -> None:
            gonet.sleep(2)
            s.write(b"after")

        w = gonet.go(late_writer)
        assert c.read() == b"after"
        assert gonet.monotonic() == t0 + 2
        w.join()


@gotest(clock=MockClock)
def test_read_into_timeout_leaves_buffer_untouched() -> None:
    with tcp_pair() as (c, s):
        s.write(b"data")
        buf = bytearray(b"\xaa" * 8)
        c.set_read_deadline(gonet.monotonic() - 1)
        with pytest.raises(DeadlineExceededError):
            c.read_into(buf)
        assert buf == bytearray(b"\xaa" * 8)
        c.set_read_deadline(None)
        n = c.read_into(buf)
        assert buf[:n] == b"data"[:n] and n > 0


@gotest(clock=MockClock)
def test_read_timeout_must_not_return() -> None:
    with tcp_pair() as (c, _s):
        now = gonet.monotonic()
        c.set_deadline(now - 5)
        c.set_write_deadline(now - 5)
        c.set_read_deadline(None)
        g = gonet.go(outcome, c.read, 1)
        gonet.sleep(10)
        assert not g.done()
        c.close()
        err, _ = g.join()
        assert isinstance(err, gonet.ClosedError), repr(err)
        assert not isinstance(err, TimeoutError)


@gotest(clock=MockClock)
def test_read_timeout_fluctuation() -> None:
    # Go's timeoutReceiver(c, 100ms, 50ms, 250ms): on a virtual clock the
    # bounds collapse to the deadline itself.
    with tcp_pair() as (c, _s):
        ch: gonet.Chan[tuple[Any, float]] = gonet.Chan()

        def receiver() -> None:
            t0 = gonet.monotonic()
            c.set_read_deadline(t0 + 0.1)
            err, t1 = outcome(c.read, 256)
            ch.send((err, t1 - t0))

        gonet.go(receiver)
        err, dt = ch.recv()
        assert_timeout(err)
        assert 0.05 <= dt <= 0.25
        assert dt == pytest.approx(0.1, abs=1e-9)


# --- deadlines moved while a goroutine is parked -----------------------------------------


@gotest(clock=MockClock)
def test_read_deadline_extended_while_parked() -> None:
    with tcp_pair() as (c, _s):
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + 1)
        g = gonet.go(outcome, c.read)
        gonet.sleep(0.5)
        assert not g.done()
        c.set_read_deadline(t0 + 3)
        err, at = g.join()
        assert_timeout(err)
        assert at == t0 + 3


@gotest(clock=MockClock)
def test_read_deadline_shortened_while_parked() -> None:
    with tcp_pair() as (c, _s):
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + 10)
        g = gonet.go(outcome, c.read)
        gonet.sleep(1)
        assert not g.done()
        c.set_read_deadline(t0 + 2)
        err, at = g.join()
        assert_timeout(err)
        assert at == t0 + 2


@gotest(clock=MockClock)
def test_read_deadline_moved_into_past_wakes_parked_reader_at_once() -> None:
    with tcp_pair() as (c, _s):
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + 10)
        g = gonet.go(outcome, c.read)
        gonet.sleep(1)
        c.set_read_deadline(t0)  # now in the past
        err, at = g.join()
        assert_timeout(err)
        assert at == t0 + 1  # woken by set_read_deadline, not by the old timer
        assert gonet.stats()["timers"] == 0


@gotest(clock=io_clock)
def test_read_deadline_cleared_while_parked() -> None:
    with tcp_pair() as (c, s):
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + 1)
        g = gonet.go(outcome, c.read)
        gonet.sleep(0.5)
        c.set_read_deadline(None)
        gonet.sleep(100)
        assert not g.done()  # the cancelled timer did not fire
        s.write(b"finally")
        data, at = g.join()
        assert data == b"finally"
        assert at == pytest.approx(t0 + 100.5, abs=1e-9)


@gotest(clock=MockClock)
def test_write_deadline_moved_into_past_wakes_parked_writer() -> None:
    with tcp_pair() as (c, s):
        t0 = gonet.monotonic()
        c.set_write_deadline(t0 + 10)
        g = gonet.go(fill, c)
        gonet.sleep(1)
        assert not g.done()  # parked: the peer does not read
        c.set_write_deadline(t0 - 1)
        total, err = g.join()
        assert_timeout(err)
        assert gonet.monotonic() == t0 + 1
        c.close_write()
        assert drain_to_eof(s) == total


@gotest(clock=MockClock)
def test_write_deadline_extended_while_parked() -> None:
    with tcp_pair() as (c, s):
        t0 = gonet.monotonic()
        c.set_write_deadline(t0 + 1)
        g = gonet.go(outcome, c.write, CHUNK * 256)  # 16 MiB: more than the buffers hold
        gonet.sleep(0.5)
        assert not g.done()
        c.set_write_deadline(t0 + 3)
        err, at = g.join()
        assert_timeout(err)
        assert at == t0 + 3
        assert 0 < err.written < len(CHUNK) * 256
        c.close_write()
        assert drain_to_eof(s) == err.written


@gotest(clock=MockClock)
def test_read_and_write_deadlines_are_independent() -> None:
    with tcp_pair() as (c, s):
        now = gonet.monotonic()
        c.set_read_deadline(now - 1)
        assert c.write(b"ping") == 4  # the write side is not affected
        with pytest.raises(DeadlineExceededError):
            c.read()
        assert s.read(4) == b"ping"
        c.set_read_deadline(None)
        c.set_write_deadline(now - 1)
        with pytest.raises(DeadlineExceededError):
            c.write(b"x")
        s.write(b"pong")
        assert c.read(4) == b"pong"  # the read side is not affected
        c.set_deadline(now - 1)  # both
        with pytest.raises(DeadlineExceededError):
            c.read()
        with pytest.raises(DeadlineExceededError):
            c.write(b"x")
        c.set_deadline(None)
        c.write(b"ok")
        assert s.read(2) == b"ok"


@gotest(clock=MockClock)
def test_close_while_parked_with_deadline_raises_closed_not_timeout() -> None:
    with tcp_pair() as (c, _s):
        t0 = gonet.monotonic()
        c.set_deadline(t0 + 5)
        r = gonet.go(outcome, c.read)
        w = gonet.go(fill, c)
        wait_all_blocked()
        c.close()
        err, at = r.join()
        assert isinstance(err, gonet.ClosedError), repr(err)
        assert at == t0
        _, werr = w.join()
        assert isinstance(werr, gonet.ClosedError), repr(werr)
        assert gonet.stats()["timers"] == 0  # close cancelled both deadline timers


# --- Conn.write: TestWriteTimeout ---------------------------------------------------------


@PAST_AND_NOW
@gotest(clock=MockClock)
def test_write_timeout_expired_deadline(offset: float) -> None:
    # Go: "write deadlines work, even if there's buffer space available to write".
    with tcp_pair() as (c, s):
        t0 = gonet.monotonic()
        c.set_write_deadline(t0 + offset)
        for _ in range(3):
            with pytest.raises(DeadlineExceededError) as ei:
                c.write(b"WRITE TIMEOUT TEST")
            assert_timeout(ei.value)
            assert ei.value.written == 0  # type: ignore[attr-defined]
        assert gonet.monotonic() == t0
        c.set_write_deadline(None)
        c.write(b"ok")
        c.close_write()
        assert s.read() == b"ok"  # the failed writes sent nothing
        assert s.read() == b""


@gotest(clock=MockClock)
def test_write_timeout_future_deadline_peer_not_reading() -> None:
    # Go's {10ms, [nil, timeout]}: writes succeed while there is buffer space,
    # then one parks and the deadline fires; ``written`` counts what got out.
    with tcp_pair() as (c, s):
        t0 = gonet.monotonic()
        c.set_write_deadline(t0 + 0.01)
        total, err = fill(c)
        assert_timeout(err)
        assert gonet.monotonic() == t0 + 0.01
        assert total > len(CHUNK)
        with pytest.raises(DeadlineExceededError) as ei:  # sticky
            c.write(b"x")
        assert ei.value.written == 0  # type: ignore[attr-defined]
        c.close_write()
        assert drain_to_eof(s) == total


@gotest(clock=MockClock)
def test_write_deadline_big_write_reports_written() -> None:
    with tcp_pair() as (c, s):
        t0 = gonet.monotonic()
        c.set_write_deadline(t0 + 2)
        data = CHUNK * 256  # 16 MiB
        with pytest.raises(DeadlineExceededError) as ei:
            c.write(data)
        written = ei.value.written  # type: ignore[attr-defined]
        assert 0 < written < len(data)
        assert gonet.monotonic() == t0 + 2
        # A new deadline makes the conn usable again; the bytes continue in order.
        c.set_write_deadline(None)

        def rest() -> int:
            n = c.write(memoryview(data)[written:])
            c.close_write()
            return n

        g = gonet.go(rest)
        assert drain_to_eof(s) == len(data)
        assert g.join() == len(data) - written


@gotest(clock=MockClock)
def test_write_timeout_must_not_return() -> None:
    with tcp_pair() as (c, _s):
        now = gonet.monotonic()
        c.set_deadline(now - 5)
        c.set_read_deadline(now - 5)
        c.set_write_deadline(None)
        g = gonet.go(fill, c)
        gonet.sleep(10)
        assert not g.done()
        c.close()
        total, err = g.join()
        assert isinstance(err, gonet.ClosedError), repr(err)
        assert not isinstance(err, TimeoutError)
        assert total > 0


@gotest(clock=MockClock)
def test_write_timeout_fluctuation() -> None:
    # Go's timeoutTransmitter(c, 100ms, 50ms, 250ms).
    with tcp_pair() as (c, s):
        ch: gonet.Chan[tuple[Any, float, int]] = gonet.Chan()

        def transmitter() -> None:
            t0 = gonet.monotonic()
            c.set_write_deadline(t0 + 0.1)
            total, err = fill(c)
            ch.send((err, gonet.monotonic() - t0, total))

        gonet.go(transmitter)
        err, dt, total = ch.recv()
        assert_timeout(err)
        assert 0.05 <= dt <= 0.25
        assert dt == pytest.approx(0.1, abs=1e-9)
        c.close_write()
        assert drain_to_eof(s) == total


# --- Listener.accept: TestAcceptTimeout ---------------------------------------------------


@PAST_AND_NOW
@gotest(clock=MockClock)
def test_accept_timeout_expired_deadline_with_pending_connection(offset: float) -> None:
    # Go: "accept deadlines in the past work, even if there's incoming connections available".
    with gonet.listen("tcp", "127.0.0.1:0") as ln, gonet.dial("tcp", str(ln.addr)) as c:
        t0 = gonet.monotonic()
        ln.set_deadline(t0 + offset)
        for _ in range(3):
            with pytest.raises(DeadlineExceededError) as ei:
                ln.accept()
            assert_timeout(ei.value)
        assert gonet.monotonic() == t0
        ln.set_deadline(None)
        with ln.accept() as s:  # the pending connection is still there
            assert s.remote_addr == c.local_addr


@gotest(clock=io_clock)
def test_accept_timeout_future_deadline() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        c = gonet.dial("tcp", str(ln.addr))
        t0 = gonet.monotonic()
        ln.set_deadline(t0 + 0.05)
        with c, ln.accept() as s:
            assert s.remote_addr == c.local_addr
        with pytest.raises(DeadlineExceededError):
            ln.accept()
        assert gonet.monotonic() == t0 + 0.05
        with gonet.dial("tcp", str(ln.addr)), pytest.raises(DeadlineExceededError):
            ln.accept()  # sticky, even with a connection pending


@gotest(clock=MockClock)
def test_accept_timeout_must_return() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        ch: gonet.Chan[tuple[Any, float]] = gonet.Chan()

        def acceptor() -> None:
            ln.set_deadline(None)
            ln.set_deadline(gonet.monotonic() + 0.01)
            ch.send(outcome(ln.accept))

        t0 = gonet.monotonic()
        gonet.go(acceptor)
        err, at = ch.recv()
        assert_timeout(err)
        assert at == t0 + 0.01


@gotest(clock=MockClock)
def test_accept_timeout_must_not_return() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        ln.set_deadline(gonet.monotonic() - 5)
        ln.set_deadline(None)
        g = gonet.go(outcome, ln.accept)
        gonet.sleep(10)
        assert not g.done()
        ln.close()
        err, _ = g.join()
        assert isinstance(err, gonet.ClosedError), repr(err)


@gotest(clock=MockClock)
def test_accept_deadline_moved_while_parked() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        t0 = gonet.monotonic()
        ln.set_deadline(t0 + 1)
        g = gonet.go(outcome, ln.accept)
        gonet.sleep(0.5)
        ln.set_deadline(t0 + 4)  # extended
        gonet.sleep(1)
        assert not g.done()
        ln.set_deadline(t0 + 2)  # shortened
        err, at = g.join()
        assert_timeout(err)
        assert at == t0 + 2


# --- PacketConn.read_from / write_to: TestReadFromTimeout ---------------------------------


@PAST_AND_NOW
@gotest(clock=MockClock)
def test_read_from_timeout_expired_deadline_with_datagram_ready(offset: float) -> None:
    with udp_pair() as (r, snd):
        snd.write_to(b"READFROM TIMEOUT TEST", r.local_addr)  # type: ignore[arg-type]
        t0 = gonet.monotonic()
        r.set_read_deadline(t0 + offset)
        for _ in range(3):
            with pytest.raises(DeadlineExceededError) as ei:
                r.read_from(1)
            assert_timeout(ei.value)
        assert gonet.monotonic() == t0
        r.set_read_deadline(None)
        data, addr = r.read_from()
        assert data == b"READFROM TIMEOUT TEST"  # the datagram was not consumed
        assert addr == snd.local_addr


@gotest(clock=io_clock)
def test_read_from_timeout_future_deadline() -> None:
    with udp_pair() as (r, snd):
        snd.write_to(b"one", r.local_addr)  # type: ignore[arg-type]
        snd.write_to(b"two", r.local_addr)  # type: ignore[arg-type]
        t0 = gonet.monotonic()
        r.set_read_deadline(t0 + 0.05)
        assert r.read_from()[0] == b"one"
        assert r.read_from()[0] == b"two"
        err, at = outcome(r.read_from)
        assert_timeout(err)
        assert at == t0 + 0.05
        snd.write_to(b"three", r.local_addr)  # type: ignore[arg-type]
        with pytest.raises(DeadlineExceededError):  # sticky
            r.read_from()
        r.set_read_deadline(t0 + 10)
        assert r.read_from()[0] == b"three"


@gotest(clock=MockClock)
def test_read_from_deadline_moved_while_parked() -> None:
    with udp_pair() as (r, _snd):
        t0 = gonet.monotonic()
        r.set_read_deadline(t0 + 1)
        g = gonet.go(outcome, r.read_from)
        gonet.sleep(0.5)
        r.set_read_deadline(t0 + 5)
        gonet.sleep(1)
        assert not g.done()
        r.set_read_deadline(t0 - 1)  # into the past: wakes it at once
        err, at = g.join()
        assert_timeout(err)
        assert at == pytest.approx(t0 + 1.5, abs=1e-9)


@gotest(clock=MockClock)
def test_read_timeout_fluctuation_dialed_udp() -> None:
    # Go's TestReadFromTimeoutFluctuation: a dialed UDP conn as the receiver.
    with gonet.listen_packet("udp", "127.0.0.1:0") as c1, \
            gonet.dial("udp", str(c1.local_addr)) as c2:
        t0 = gonet.monotonic()
        c2.set_read_deadline(t0 + 0.1)
        err, at = outcome(c2.read, 256)
        assert_timeout(err)
        assert str(err).startswith(f"read udp {c2.local_addr}->{c1.local_addr}")
        assert 0.05 <= at - t0 <= 0.25
        assert at == t0 + 0.1


@PAST_AND_NOW
@gotest(clock=MockClock)
def test_write_to_timeout_expired_deadline(offset: float) -> None:
    with udp_pair() as (r, snd):
        dst = r.local_addr
        assert dst is not None
        snd.set_write_deadline(gonet.monotonic() + offset)
        for _ in range(2):
            with pytest.raises(DeadlineExceededError) as ei:
                snd.write_to(b"WRITETO TIMEOUT TEST", dst)
            assert_timeout(ei.value)
            assert str(ei.value).startswith("write udp ")
        snd.set_write_deadline(None)
        snd.write_to(b"after", dst)
        data, _ = r.read_from()
        assert data == b"after"  # the timed-out write_to calls sent nothing


@gotest(clock=MockClock)
def test_write_to_timeout_future_deadline() -> None:
    # Go's {10ms, [nil, timeout]} with a sleep of timeout/3 between writes:
    # the writes at +0, +4 and +8 ms go out, the one at +12 ms fails.
    with udp_pair() as (r, snd):
        dst = r.local_addr
        assert dst is not None
        t0 = gonet.monotonic()
        snd.set_write_deadline(t0 + 0.010)
        sent = 0
        with pytest.raises(DeadlineExceededError):
            while True:
                snd.write_to(b"WRITETO TIMEOUT TEST", dst)
                sent += 1
                gonet.sleep(0.004)
        assert sent == 3
        for _ in range(sent):
            assert r.read_from()[0] == b"WRITETO TIMEOUT TEST"
        r.set_read_deadline(gonet.monotonic() + 1)
        with pytest.raises(DeadlineExceededError):
            r.read_from()  # nothing more was sent


# --- TestVariousDeadlines -------------------------------------------------------------------

VARIOUS = [1e-9, 2e-9, 5e-9, 50e-9, 100e-9, 200e-9, 500e-9, 750e-9, 1e-6, 5e-6, 25e-6,
           250e-6, 500e-6, 1e-3, 5e-3, 0.1, 0.25, 0.5, 1.0]


def various_deadlines(timeouts: list[float], runs: int, exact: bool) -> None:
    """Go's testVariousDeadlines: a client copies to nowhere until its deadline passes."""
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        served: gonet.Chan[None] = gonet.Chan(1)

        def server() -> None:
            while True:
                try:
                    c = ln.accept()
                except gonet.ClosedError:
                    return
                with c:
                    c.read(1)  # wait for the client to close the connection
                served.send(None)

        srv = gonet.go(server)
        for timeout in timeouts:
            for _ in range(runs):
                c = gonet.dial("tcp", str(ln.addr))
                ch: gonet.Chan[tuple[int, Any, float]] = gonet.Chan(1)

                def client(c: gonet.Conn = c, ch: Any = ch, timeout: float = timeout) -> None:
                    t0 = gonet.monotonic()
                    c.set_deadline(t0 + timeout)
                    n = 0
                    try:
                        while data := c.read():
                            n += len(data)
                        err: Any = None
                    except OSError as e:
                        err = e
                    dt = gonet.monotonic() - t0
                    c.close()
                    ch.send((n, err, dt))

                gonet.go(client)
                n, err, dt = ch.recv()
                assert n == 0
                assert_timeout(err)
                assert dt >= timeout or dt == pytest.approx(timeout, rel=1e-6), (timeout, dt)
                if exact:
                    assert dt == pytest.approx(timeout, rel=1e-6, abs=1e-12), (timeout, dt)
                else:
                    assert dt < timeout + 5.0, (timeout, dt)  # Go's tooSlow
                served.recv()  # the server saw this client's EOF
        ln.close()
        srv.join()


@gotest(clock=MockClock)
def test_various_deadlines() -> None:
    various_deadlines(VARIOUS, runs=3, exact=True)


@gotest
def test_various_deadlines_real_clock() -> None:
    various_deadlines([1e-9, 1e-6, 1e-3, 0.02], runs=1, exact=False)


# --- concurrent deadline changes ------------------------------------------------------------


def read_write_deadline_race(n: int) -> None:
    """Go's TestReadWriteDeadlineRace: deadlines reset every 2 µs under a reader and a writer."""
    with tcp_pair() as (c, s):
        errors: list[BaseException] = []
        wrote = [0]

        def setter() -> None:
            for _ in range(n):
                c.set_read_deadline(gonet.monotonic() + 2e-6)
                c.set_write_deadline(gonet.monotonic() + 2e-6)
                gonet.sleep(2e-6)

        def reader() -> None:
            for _ in range(n):
                try:
                    c.read(1)
                except OSError as e:
                    errors.append(e)

        def writer() -> None:
            for _ in range(n):
                try:
                    wrote[0] += c.write(b"\x00")
                except OSError as e:
                    wrote[0] += e.written  # type: ignore[attr-defined]
                    errors.append(e)

        gs = [gonet.go(setter), gonet.go(reader), gonet.go(writer)]
        for g in gs:
            g.join()
        assert errors, "no deadline ever fired"
        for e in errors:
            assert_timeout(e)
        c.close_write()
        assert drain_to_eof(s) == wrote[0]


@gotest(clock=MockClock)
def test_read_write_deadline_race() -> None:
    read_write_deadline_race(300)


@gotest
def test_read_write_deadline_race_real_clock() -> None:
    read_write_deadline_race(100)


@gotest
def test_read_write_prolonged_timeout() -> None:
    # Go's TestReadWriteProlongedTimeout: both sides keep pushing an hour-long
    # deadline forward before every 1-byte operation while the other side is parked.
    n = 200
    with gonet.listen("tcp", "127.0.0.1:0") as ln:

        def handler() -> tuple[int, int]:
            with ln.accept() as c:

                def reader() -> int:
                    got = 0
                    while True:
                        c.set_read_deadline(gonet.monotonic() + 3600)
                        if not c.read(1):
                            return got
                        got += 1

                def writer() -> int:
                    for _ in range(n):
                        c.set_write_deadline(gonet.monotonic() + 3600)
                        c.write(b"\x00")
                    return n

                r, w = gonet.go(reader), gonet.go(writer)
                return r.join(), w.join()

        srv = gonet.go(handler)
        with gonet.dial("tcp", str(ln.addr)) as c:
            for _ in range(n):
                c.write(b"\x01")
                assert c.read(1) == b"\x00"
            c.close_write()
            assert srv.join() == (n, n)
            assert c.read() == b""
    assert gonet.stats()["timers"] == 0


@gotest(clock=MockClock)
def test_concurrent_set_deadline() -> None:
    # Go's TestConcurrentSetDeadline (issue 35367): deadlines made steadily
    # earlier from many goroutines. Afterwards every re-armed timer is gone.
    goroutines, conns, tries = 8, 10, 30
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        cs = [gonet.dial("tcp", str(ln.addr)) for _ in range(conns)]
        ss = [ln.accept() for _ in range(conns)]
    try:
        now = gonet.monotonic()
        wg = gonet.WaitGroup()

        def storm(i: int) -> None:
            for j in range(tries, 0, -1):
                for k in range(conns):
                    cs[k].set_read_deadline(now + 7200 + i * j * k)
                    cs[k].set_write_deadline(now + 3600 + i * j * k)
                gonet.gosched()
            wg.done()

        for i in range(goroutines):
            wg.add()
            gonet.go(storm, i)
        wg.wait()
        assert gonet.stats()["timers"] == 2 * conns
        for c in cs:
            c.set_deadline(None)
        assert gonet.stats()["timers"] == 0
        readers = [gonet.go(outcome, c.read) for c in cs]
        gonet.sleep(3 * 3600)  # past every deadline the storm ever set
        assert not any(g.done() for g in readers)
        for c in cs:
            c.close()
        for g in readers:
            err, _ = g.join()
            assert isinstance(err, gonet.ClosedError), repr(err)
    finally:
        for x in cs + ss:
            x.close()


# --- unix conns ---------------------------------------------------------------------------


@gotest(clock=io_clock)
def test_unix_read_deadline() -> None:
    with unix_pair() as (c, s):
        s.write(b"unix")
        c.set_read_deadline(gonet.monotonic() - 1)
        with pytest.raises(DeadlineExceededError) as ei:
            c.read()
        assert_timeout(ei.value)
        assert str(ei.value).startswith("read unix ")
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + 0.5)
        assert c.read() == b"unix"
        err, at = outcome(c.read)
        assert_timeout(err)
        assert at == t0 + 0.5


@gotest(clock=MockClock)
def test_unix_write_deadline_peer_not_reading() -> None:
    with unix_pair() as (c, s):
        t0 = gonet.monotonic()
        c.set_write_deadline(t0 + 1)
        with pytest.raises(DeadlineExceededError) as ei:
            c.write(CHUNK * 64)  # 4 MiB: more than a unix socket buffers
        written = ei.value.written  # type: ignore[attr-defined]
        assert 0 < written < len(CHUNK) * 64
        assert gonet.monotonic() == t0 + 1
        assert str(ei.value).startswith("write unix ")
        c.close_write()
        assert drain_to_eof(s) == written


# --- dial -----------------------------------------------------------------------------------


@gotest(clock=lambda: MockClock(autojump_threshold=0.2))
def test_dial_timeout_to_full_backlog() -> None:
    # No internet here: a listener that never accepts and whose accept queue
    # is full drops further SYNs (Linux), which is a peer that does not answer.
    with gonet.listen("tcp", "127.0.0.1:0", backlog=0) as ln:
        addr = str(ln.addr)
        held: list[gonet.Conn] = []
        try:
            for _ in range(8):  # backlog 0 holds one connection on Linux; bounded anyway
                try:
                    held.append(gonet.dial("tcp", addr, timeout=5))
                except DeadlineExceededError:
                    break
            else:
                pytest.fail("the listener's backlog never filled up")
            t0 = gonet.monotonic()
            err, at = outcome(lambda: gonet.dial("tcp", addr, timeout=3.0))
            assert_timeout(err)
            assert str(err) == f"dial tcp {addr}: i/o timeout"
            assert at == t0 + 3.0
        finally:
            for c in held:
                c.close()


@pytest.mark.parametrize("timeout", [-5.0, -1e9])
@gotest(clock=MockClock)
def test_dial_timeout_in_the_past(timeout: float) -> None:
    # Go's dialTimeoutTests with negative timeouts: fail at once with a timeout.
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        t0 = gonet.monotonic()
        with pytest.raises(DeadlineExceededError) as ei:
            gonet.dial("tcp", str(ln.addr), timeout=timeout)
        assert_timeout(ei.value)
        assert gonet.monotonic() == t0
        # The dial never started: nothing reaches the listener.
        ln.set_deadline(t0 + 1)
        err, at = outcome(ln.accept)
        assert_timeout(err)
        assert at == t0 + 1


@gotest
def test_dial_timeout_max_duration() -> None:
    # Go's TestDialTimeoutMaxDuration: a timeout of 1<<63-1 ns must not break the
    # dial (or the runtime), on the real clock.
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        for timeout in (9.2e9, 1e7):
            with gonet.dial("tcp", str(ln.addr), timeout=timeout) as c, ln.accept() as s:
                c.write(b"hi")
                assert s.read(2) == b"hi"


@gotest
def test_far_future_read_deadline_real_clock() -> None:
    # A deadline months away is a deadline that does not fire during the test;
    # the scheduler must still be able to wait for the next timer.
    with tcp_pair() as (c, s):
        c.set_read_deadline(gonet.monotonic() + 1e7)
        w = gonet.go(s.write, b"hello")  # runs once the read below has parked
        assert c.read() == b"hello"
        assert w.join() == 5


# --- the clock and the argument ---------------------------------------------------------------


@gotest
def test_deadline_on_time_monotonic_clock() -> None:
    # On the real clock, docs/spec.md's deadlines are time.monotonic() times.
    with tcp_pair() as (c, _s):
        assert abs(gonet.monotonic() - time.monotonic()) < 1.0
        t0 = time.monotonic()
        c.set_read_deadline(t0 + 0.05)
        with pytest.raises(DeadlineExceededError):
            c.read()
        elapsed = time.monotonic() - t0
        assert 0.05 <= elapsed < 10.0


@gotest(clock=MockClock)
def test_integer_deadline_accepted() -> None:
    with tcp_pair() as (c, s):
        s.write(b"x")
        c.set_read_deadline(int(gonet.monotonic()) - 5)
        with pytest.raises(DeadlineExceededError):
            c.read()
        c.set_read_deadline(int(gonet.monotonic()) + 5)
        assert c.read() == b"x"


BAD_DEADLINES = [
    "soon",
    b"1",
    datetime.datetime.now(),
    datetime.timedelta(seconds=1),
    [1.0],
    object(),
]


@pytest.mark.parametrize("bad", BAD_DEADLINES, ids=lambda v: type(v).__name__)
@gotest(clock=MockClock)
def test_bad_deadline_type_raises_type_error(bad: Any) -> None:
    with tcp_pair() as (c, _s):
        c.set_read_deadline(gonet.monotonic() - 1)
        for setter in (c.set_deadline, c.set_read_deadline, c.set_write_deadline):
            with pytest.raises(TypeError):
                setter(bad)
        with pytest.raises(DeadlineExceededError):  # the bad calls changed nothing
            c.read()
        with gonet.listen("tcp", "127.0.0.1:0") as ln, pytest.raises(TypeError):
            ln.set_deadline(bad)
        with gonet.listen_packet("udp", "127.0.0.1:0") as pc:
            for psetter in (pc.set_deadline, pc.set_read_deadline, pc.set_write_deadline):
                with pytest.raises(TypeError):
                    psetter(bad)


@gotest(clock=MockClock)
def test_set_deadline_on_closed_conn_raises_closed_error() -> None:
    with tcp_pair() as (c, _s):
        c.close()
        for setter in (c.set_deadline, c.set_read_deadline, c.set_write_deadline):
            with pytest.raises(gonet.ClosedError):
                setter(gonet.monotonic() + 1)
    ln = gonet.listen("tcp", "127.0.0.1:0")
    ln.close()
    with pytest.raises(gonet.ClosedError):
        ln.set_deadline(None)
    pc = gonet.listen_packet("udp", "127.0.0.1:0")
    pc.close()
    with pytest.raises(gonet.ClosedError):
        pc.set_read_deadline(None)
