"""x/net/nettest's ``TestConn`` suite (``nettest/conntest.go``) on TCP and unix pipes.

Each Go sub-test is ported with its intent kept and Go's timing replaced by
deterministic waits: ``time.Sleep(100 * time.Millisecond)`` becomes a
virtual-clock sleep (``@gotest(clock=MockClock)``) or a channel handshake.
RacyRead, RacyWrite and ConcurrentMethods keep Go's real 1 ms / 10 ms
deadlines on the real clock: they check robustness (only documented
outcomes, no crash, no hang), not timing.

``make_pipe(network)`` is nettest's ``MakePipe``: ``(c1, c2, stop)`` where
anything written to ``c1`` is read by ``c2`` and vice versa, and ``stop``
closes everything.
"""

from __future__ import annotations

import hashlib
import random
import socket
import struct
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import gonet
from gonet.testing import MockClock, gotest, wait_all_blocked

NETWORKS = ["tcp", "unix"]

Pipe = tuple[gonet.Conn, gonet.Conn, Callable[[], None]]

#: Errors a goroutine may see on a conn that its peer or itself closed.
PEER_GONE = (gonet.ClosedError, ConnectionResetError, BrokenPipeError)


def make_pipe(network: str, tmp: Path) -> Pipe:
    """make_pipe is nettest's MakePipe: a connected pair and a stop function closing both."""
    address = "127.0.0.1:0"
    if network == "unix":
        address = str(tmp / f"nettest-{uuid.uuid4().hex[:8]}.sock")
    with gonet.listen(network, address) as ln:
        g = gonet.go(ln.accept)
        c1 = gonet.dial(network, str(ln.addr))
        c2 = g.join()

    def stop() -> None:
        c1.close()
        c2.close()

    return c1, c2, stop


def a_long_time_ago() -> float:
    """a_long_time_ago is a deadline far in the past (Go's ``aLongTimeAgo``)."""
    return gonet.monotonic() - 3600.0


def after(seconds: float) -> float:
    """after is the deadline ``seconds`` from now, on the runtime's clock."""
    return gonet.monotonic() + seconds


def check_timeout(err: BaseException | None) -> None:
    """check_timeout is nettest's checkForTimeoutError: the error must be a timeout."""
    assert isinstance(err, gonet.DeadlineExceededError), f"want a timeout, got {err!r}"
    assert isinstance(err, TimeoutError)
    assert str(err).endswith("i/o timeout"), str(err)


def read_full(c: gonet.Conn, n: int) -> bytes:
    """read_full is io.ReadFull: ``EOFError`` at EOF before any byte, or in the middle."""
    buf = bytearray()
    while len(buf) < n:
        data = c.read(n - len(buf))
        if not data:
            raise EOFError(f"EOF after {len(buf)} of {n} bytes")
        buf += data
    return bytes(buf)


def copy_to_eof(dst: Callable[[bytes], Any], src: gonet.Conn) -> int:
    """copy_to_eof is nettest's chunkedCopy: 1 KiB reads from ``src`` into ``dst`` until EOF."""
    total = 0
    while True:
        data = src.read(1024)
        if not data:
            return total
        dst(data)
        total += len(data)


def echo(c: gonet.Conn) -> str:
    """echo is ``chunkedCopy(c2, c2)``; it runs until EOF or until a conn is closed under it."""
    try:
        copy_to_eof(c.write, c)
    except PEER_GONE as e:
        return type(e).__name__
    return "EOF"


def discard(c: gonet.Conn) -> str:
    """discard is ``chunkedCopy(io.Discard, c2)``."""
    try:
        copy_to_eof(lambda b: None, c)
    except PEER_GONE as e:
        return type(e).__name__
    return "EOF"


def random_source(c: gonet.Conn, seed: int = 0, pause: float = 0.0) -> str:
    """random_source is ``chunkedCopy(c2, rand.New(rand.NewSource(0)))``: random data, forever.

    With ``pause``, it sleeps that long after each 1 KiB, so readers run dry.
    """
    r = random.Random(seed)
    try:
        while True:
            c.write(r.randbytes(1024))
            if pause:
                gonet.sleep(pause)
    except PEER_GONE as e:
        return type(e).__name__


def roundtrip(c: gonet.Conn) -> None:
    """roundtrip is nettest's testRoundtrip: write a greeting and read it back through the echo."""
    c.set_deadline(None)
    s = b"Hello, world!"
    assert c.write(s) == len(s)
    assert read_full(c, len(s)) == s


def resync(c: gonet.Conn) -> None:
    """resync is nettest's resyncConn: drain what is in flight up to a 0xff marker."""
    c.set_deadline(None)
    w = gonet.go(c.write, b"\xff")
    while True:
        data = c.read(1024)
        assert data, "EOF while resynchronising"
        if data.find(b"\xff") == len(data) - 1:
            break
    assert w.join() == 1


def expect(exc: type[BaseException] | tuple[type[BaseException], ...],
           fn: Callable[[], Any]) -> BaseException:
    """expect runs ``fn`` and returns the exception it must raise."""
    with pytest.raises(exc) as info:
        fn()
    return info.value


# --- BasicIO ---------------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("network", NETWORKS)
def test_basic_io(network: str, tmp_path: Path) -> None:
    # testBasicIO: 1 MiB of random data sent on c1 in 1 KiB chunks arrives intact on c2.
    c1, c2, stop = make_pipe(network, tmp_path)
    want = random.Random(0).randbytes(1 << 20)
    data_ch: gonet.Chan[bytes] = gonet.Chan()

    def writer() -> None:
        for i in range(0, len(want), 1024):
            c1.write(want[i:i + 1024])
        c1.close()

    def reader() -> None:
        wr = bytearray()
        copy_to_eof(wr.extend, c2)
        c2.close()
        data_ch.send(bytes(wr))

    gw, gr = gonet.go(writer), gonet.go(reader)
    got = data_ch.recv()
    gw.join()
    gr.join()
    assert len(got) == len(want)
    assert got == want, "transmitted data differs"
    stop()


@gotest
@pytest.mark.parametrize("network", NETWORKS)
def test_basic_io_both_ways(network: str, tmp_path: Path) -> None:
    # Both directions at once, with big unaligned writes and half-close at the end:
    # each side's checksum of what it received equals the other side's of what it sent.
    c1, c2, stop = make_pipe(network, tmp_path)
    r = random.Random(1)
    payload = {c1: r.randbytes(3 << 20), c2: r.randbytes((2 << 20) + 12345)}

    def send(c: gonet.Conn) -> str:
        data = payload[c]
        i = 0
        while i < len(data):
            n = r.randrange(1, 200_000)
            assert c.write(data[i:i + n]) == len(data[i:i + n])
            i += n
        c.close_write()
        return hashlib.sha256(data).hexdigest()

    def recv(c: gonet.Conn) -> tuple[int, str]:
        h = hashlib.sha256()
        n = copy_to_eof(h.update, c)
        return n, h.hexdigest()

    s1, s2 = gonet.go(send, c1), gonet.go(send, c2)
    r1, r2 = gonet.go(recv, c1), gonet.go(recv, c2)
    assert r2.join() == (len(payload[c1]), s1.join())
    assert r1.join() == (len(payload[c2]), s2.join())
    stop()


# --- PingPong --------------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("network", NETWORKS)
def test_ping_pong(network: str, tmp_path: Path) -> None:
    # testPingPong: a counter bounces between the ends in 8-byte messages up to 1000.
    c1, c2, stop = make_pipe(network, tmp_path)
    wg = gonet.WaitGroup()

    def ping_ponger(c: gonet.Conn) -> list[int]:
        seen: list[int] = []
        try:
            prev = 0
            while True:
                try:
                    buf = read_full(c, 8)
                except EOFError:
                    break
                (v,) = struct.unpack("<Q", buf)
                assert prev == 0 or prev + 2 == v, f"mismatching value: got {v}, want {prev + 2}"
                prev = v
                seen.append(v)
                if v == 1000:
                    break
                c.write(struct.pack("<Q", v + 1))
            c.close()
            return seen
        finally:
            wg.done()

    wg.add(2)
    g1, g2 = gonet.go(ping_ponger, c1), gonet.go(ping_ponger, c2)
    c1.write(bytes(8))  # start off the chain reaction
    wg.wait()
    seen1, seen2 = g1.join(), g2.join()
    # c2 sees the even numbers 0..1000, c1 the odd ones, then EOF once c2 closed.
    assert seen2 == list(range(0, 1001, 2))
    assert seen1 == list(range(1, 1000, 2))
    stop()


# --- RacyRead / RacyWrite --------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("pause", [0.0, 0.003], ids=["flood", "trickle"])
@pytest.mark.parametrize("network", NETWORKS)
def test_racy_read(network: str, pause: float, tmp_path: Path) -> None:
    # testRacyRead: ten goroutines read one conn while 1 ms read deadlines expire
    # and are re-armed under them; the read buffer is mutated right after every
    # read. Only data or timeouts may come out. Go floods the conn with data; the
    # trickle variant sends slower than the deadlines, so reads park and time out
    # while data keeps arriving.
    c1, c2, stop = make_pipe(network, tmp_path)
    src = gonet.go(random_source, c2, 0, pause)
    wg = gonet.WaitGroup()
    counts = {"bytes": 0, "timeouts": 0, "reads": 0}

    c1.set_read_deadline(after(0.001))

    def reader() -> None:
        try:
            b1 = bytearray(1024)
            b2 = bytes(1024)
            for _ in range(100):
                err: BaseException | None = None
                try:
                    n = c1.read_into(b1)  # parks: do not hold counts["bytes"] across it
                    counts["bytes"] += n
                except OSError as e:
                    err = e
                b1[:] = b2  # mutate the buffer to trigger a potential race
                counts["reads"] += 1
                if err is not None:
                    check_timeout(err)
                    counts["timeouts"] += 1
                    c1.set_read_deadline(after(0.001))
        finally:
            wg.done()

    wg.add(10)
    readers = [gonet.go(reader) for _ in range(10)]
    wg.wait()
    for g in readers:
        g.join()
    assert counts["reads"] == 1000
    assert counts["bytes"] > 0
    if pause:
        assert counts["timeouts"] > 0
    stop()
    assert src.join() in ("ClosedError", "ConnectionResetError", "BrokenPipeError")


@gotest
@pytest.mark.parametrize("stall", [False, True], ids=["drain", "stall"])
@pytest.mark.parametrize("network", NETWORKS)
def test_racy_write(network: str, stall: bool, tmp_path: Path) -> None:
    # testRacyWrite: ten goroutines write one conn while 1 ms write deadlines expire
    # and are re-armed under them. Only full writes or timeouts (with a sane
    # ``written``) may come out, and the peer receives exactly what was written.
    # Go's peer drains all the time; in the stall variant it reads nothing until
    # the writers are done, with small socket buffers, so writes park, time out
    # part-way and report what they wrote.
    c1, c2, stop = make_pipe(network, tmp_path)
    if stall:
        c1._pfd.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        c2._pfd.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    wg = gonet.WaitGroup()

    def count_all() -> int:
        if stall:
            wg.wait()
        return copy_to_eof(lambda b: None, c2)

    sink = gonet.go(count_all)
    sent = [0]
    timeouts = [0]
    rounds = 30 if stall else 100  # a stalled write costs a 1 ms deadline each

    c1.set_write_deadline(after(0.001))

    def writer() -> None:
        try:
            b1 = bytearray(1024)
            b2 = bytes(range(256)) * 4
            for _ in range(rounds):
                err: BaseException | None = None
                try:
                    n = c1.write(b1)  # parks: do not hold sent[0] across it
                    sent[0] += n
                except OSError as e:
                    err = e
                b1[:] = b2  # mutate the buffer to trigger a potential race
                if err is not None:
                    check_timeout(err)
                    written = err.written  # type: ignore[attr-defined]
                    assert 0 <= written < 1024
                    sent[0] += written
                    timeouts[0] += 1
                    c1.set_write_deadline(after(0.001))
        finally:
            wg.done()

    wg.add(10)
    writers = [gonet.go(writer) for _ in range(10)]
    wg.wait()
    for g in writers:
        g.join()
    c1.close_write()
    assert sink.join() == sent[0] > 0
    if stall:
        assert timeouts[0] > 0
        assert sent[0] < 10 * rounds * 1024
    stop()


# --- Read/Write timeouts -----------------------------------------------------------------------


@gotest(clock=MockClock)
@pytest.mark.parametrize("network", NETWORKS)
def test_read_timeout(network: str, tmp_path: Path) -> None:
    # testReadTimeout: a read timeout does not affect writes.
    c1, c2, stop = make_pipe(network, tmp_path)
    sink = gonet.go(discard, c2)
    c1.set_read_deadline(a_long_time_ago())
    check_timeout(expect(gonet.DeadlineExceededError, lambda: c1.read(1024)))
    assert c1.write(bytes(1024)) == 1024
    stop()
    assert sink.join() in ("EOF", "ClosedError", "ConnectionResetError")


@gotest(clock=MockClock)
@pytest.mark.parametrize("network", NETWORKS)
def test_write_timeout(network: str, tmp_path: Path) -> None:
    # testWriteTimeout: a write timeout does not affect reads.
    c1, c2, stop = make_pipe(network, tmp_path)
    src = gonet.go(random_source, c2)
    c1.set_write_deadline(a_long_time_ago())
    err = expect(gonet.DeadlineExceededError, lambda: c1.write(bytes(1024)))
    check_timeout(err)
    assert err.written == 0  # type: ignore[attr-defined]
    assert len(c1.read(1024)) > 0
    stop()
    assert src.join() in ("ClosedError", "ConnectionResetError", "BrokenPipeError")


@gotest(clock=MockClock)
@pytest.mark.parametrize("network", NETWORKS)
def test_past_timeout(network: str, tmp_path: Path) -> None:
    # testPastTimeout: a deadline in the past times out reads and writes at once,
    # without touching data; a new deadline makes the conn usable again.
    c1, c2, stop = make_pipe(network, tmp_path)
    e = gonet.go(echo, c2)
    roundtrip(c1)

    c1.set_deadline(a_long_time_ago())
    t0 = gonet.monotonic()
    err = expect(gonet.DeadlineExceededError, lambda: c1.write(bytes(1024)))
    check_timeout(err)
    assert err.written == 0  # type: ignore[attr-defined]
    check_timeout(expect(gonet.DeadlineExceededError, lambda: c1.read(1024)))
    check_timeout(expect(gonet.DeadlineExceededError, lambda: c1.read_into(bytearray(8))))
    assert gonet.monotonic() == t0  # immediately: no virtual time passed

    roundtrip(c1)  # nothing of the timed-out write reached the wire
    stop()
    assert e.join() in ("EOF", "ClosedError", "ConnectionResetError", "BrokenPipeError")


@gotest(clock=MockClock)
@pytest.mark.parametrize("network", NETWORKS)
def test_present_timeout(network: str, tmp_path: Path) -> None:
    # testPresentTimeout: a past deadline set while a read and a write are parked
    # times them out at once, and not before it is set.
    c1, c2, stop = make_pipe(network, tmp_path)
    wg = gonet.WaitGroup()
    wg.add(3)
    deadline_set: gonet.Chan[bool] = gonet.Chan(1)
    t0 = gonet.monotonic()

    def setter() -> None:
        try:
            gonet.sleep(0.1)
            deadline_set.send(True)
            c1.set_read_deadline(a_long_time_ago())
            c1.set_write_deadline(a_long_time_ago())
        finally:
            wg.done()

    def reader() -> float:
        try:
            check_timeout(expect(gonet.DeadlineExceededError, lambda: c1.read(1024)))
            assert len(deadline_set) == 1, "Read timed out before deadline is set"
            return gonet.monotonic() - t0
        finally:
            wg.done()

    def writer() -> tuple[float, int]:
        try:
            total = 0
            while True:
                try:
                    total += c1.write(bytes(1024))
                except gonet.DeadlineExceededError as err:
                    check_timeout(err)
                    total += err.written
                    break
            assert len(deadline_set) == 1, "Write timed out before deadline is set"
            return gonet.monotonic() - t0, total
        finally:
            wg.done()

    gs = gonet.go(setter)
    gr = gonet.go(reader)
    gw = gonet.go(writer)
    wg.wait()
    gs.join()
    assert gr.join() == pytest.approx(0.1)
    elapsed, total = gw.join()
    assert elapsed == pytest.approx(0.1)
    assert total > 0
    # The timed-out conn is usable again with a new deadline: drain what the writer
    # managed to send, then round-trip through an echo.
    c1.set_deadline(None)
    drain = gonet.go(copy_to_eof, lambda b: None, c2)
    c1.close_write()
    assert drain.join() == total
    stop()


@gotest(clock=MockClock)
@pytest.mark.parametrize("network", NETWORKS)
def test_future_timeout(network: str, tmp_path: Path) -> None:
    # testFutureTimeout: a deadline 100 ms ahead times out a parked read and a
    # writer that filled the buffers, exactly then; afterwards the conn resyncs.
    c1, c2, stop = make_pipe(network, tmp_path)
    wg = gonet.WaitGroup()
    wg.add(2)
    t0 = gonet.monotonic()
    c1.set_deadline(after(0.1))

    def reader() -> float:
        try:
            check_timeout(expect(gonet.DeadlineExceededError, lambda: c1.read(1024)))
            return gonet.monotonic() - t0
        finally:
            wg.done()

    def writer() -> float:
        try:
            while True:
                try:
                    c1.write(bytes(1024))
                except gonet.DeadlineExceededError as err:
                    check_timeout(err)
                    return gonet.monotonic() - t0
        finally:
            wg.done()

    gr, gw = gonet.go(reader), gonet.go(writer)
    wg.wait()
    assert gr.join() == pytest.approx(0.1)
    assert gw.join() == pytest.approx(0.1)

    e = gonet.go(echo, c2)
    resync(c1)
    roundtrip(c1)
    stop()
    assert e.join() in ("EOF", "ClosedError", "ConnectionResetError", "BrokenPipeError")


# --- CloseTimeout ----------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("network", NETWORKS)
def test_close_timeout(network: str, tmp_path: Path) -> None:
    # testCloseTimeout: closing the conn stops a busy reader and a busy writer.
    # Go closes after a 100 ms sleep; here the closer waits until both have made
    # progress, so the close lands while they are running, parked or in between.
    c1, c2, stop = make_pipe(network, tmp_path)
    e = gonet.go(echo, c2)
    c1.set_deadline(None)
    progress: gonet.Chan[str] = gonet.Chan(2)
    wg = gonet.WaitGroup()
    wg.add(3)

    def closer() -> None:
        try:
            assert sorted([progress.recv(), progress.recv()]) == ["read", "write"]
            c1.close()
        finally:
            wg.done()

    def loop(name: str, op: Callable[[], int]) -> BaseException:
        try:
            n = 0
            while True:
                try:
                    got = op()
                except OSError as err:
                    return err
                assert got > 0
                n += 1
                if n == 50:
                    progress.send(name)
        finally:
            wg.done()

    buf = bytearray(1024)
    gc = gonet.go(closer)
    gr = gonet.go(loop, "read", lambda: c1.read_into(buf))
    gw = gonet.go(loop, "write", lambda: c1.write(bytes(1024)))
    wg.wait()
    gc.join()
    for g in (gr, gw):
        err = g.join()
        assert isinstance(err, gonet.ClosedError), repr(err)
        assert "use of closed network connection" in str(err)
    stop()
    assert e.join() in ("EOF", "ClosedError", "ConnectionResetError", "BrokenPipeError")


@gotest(clock=MockClock)
@pytest.mark.parametrize("network", NETWORKS)
def test_close_with_timeouts_pending(network: str, tmp_path: Path) -> None:
    # Close while a read and a write are parked with deadlines pending: both wake
    # with ClosedError (not a timeout), at once, and the deadline timers are gone.
    c1, _c2, stop = make_pipe(network, tmp_path)
    timers0 = gonet.stats()["timers"]
    c1.set_read_deadline(after(50))
    c1.set_write_deadline(after(60))
    assert gonet.stats()["timers"] == timers0 + 2
    big = bytes(32 << 20)  # more than both socket buffers hold; c2 never reads
    gr = gonet.go(expect, gonet.ClosedError, lambda: c1.read(1024))
    gw = gonet.go(expect, gonet.ClosedError, lambda: c1.write(big))
    wait_all_blocked()
    assert not gr.done()
    assert not gw.done()
    t0 = gonet.monotonic()
    c1.close()
    rerr, werr = gr.join(), gw.join()
    assert gonet.monotonic() == t0
    assert "use of closed network connection" in str(rerr)
    assert 0 < werr.written < len(big)  # type: ignore[attr-defined]
    assert gonet.stats()["timers"] == timers0
    # The deadlines of a closed conn can no longer be set.
    with pytest.raises(gonet.ClosedError):
        c1.set_deadline(after(1))
    stop()


# --- ConcurrentMethods -----------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("network", NETWORKS)
def test_concurrent_methods(network: str, tmp_path: Path) -> None:
    # testConcurrentMethods: every method from many goroutines at once; the
    # results may be nonsensical, but only data or timeouts come out, and
    # afterwards the conn resyncs and works.
    c1, c2, stop = make_pipe(network, tmp_path)
    e = gonet.go(echo, c2)
    wg = gonet.WaitGroup()
    outcomes: dict[str, int] = {}

    def call(fn: Callable[[], Any]) -> None:
        try:
            try:
                fn()
                key = "ok"
            except gonet.DeadlineExceededError as err:
                check_timeout(err)
                key = "timeout"
            outcomes[key] = outcomes.get(key, 0) + 1
        finally:
            wg.done()

    methods: list[Callable[[], Any]] = [
        lambda: c1.read(1024),
        lambda: c1.write(bytes(1024)),
        lambda: c1.set_deadline(after(0.010)),
        lambda: c1.set_read_deadline(a_long_time_ago()),
        lambda: c1.set_write_deadline(a_long_time_ago()),
        lambda: c1.local_addr,
        lambda: c1.remote_addr,
    ]
    gs = []
    for _ in range(100):
        wg.add(len(methods))
        gs.extend(gonet.go(call, m) for m in methods)
    wg.wait()  # at worst, the deadline is set 10 ms into the future
    for g in gs:
        g.join()
    assert sum(outcomes.values()) == 700
    assert outcomes["ok"] >= 500  # the setters and address getters never fail

    resync(c1)
    roundtrip(c1)
    stop()
    assert e.join() in ("EOF", "ClosedError", "ConnectionResetError", "BrokenPipeError")


@gotest
@pytest.mark.parametrize("network", NETWORKS)
def test_concurrent_methods_then_close(network: str, tmp_path: Path) -> None:
    # Every method of Conn from many goroutines, with close() landing in the
    # middle: each call returns normally or raises ClosedError or a timeout.
    # Nothing hangs, and the descriptor and pollDesc are released (leak checks).
    c1, c2, stop = make_pipe(network, tmp_path)
    e = gonet.go(echo, c2)
    r = random.Random(7)
    wg = gonet.WaitGroup()
    outcomes: dict[str, int] = {}
    documented = (gonet.ClosedError, gonet.DeadlineExceededError)

    def call(fn: Callable[[], Any], yields: int) -> None:
        try:
            for _ in range(yields):
                gonet.gosched()
            try:
                fn()
                key = "ok"
            except documented as err:
                key = type(err).__name__
                if isinstance(err, gonet.ClosedError):
                    assert "use of closed network connection" in str(err)
            outcomes[key] = outcomes.get(key, 0) + 1
        finally:
            wg.done()

    methods: list[Callable[[], Any]] = [
        lambda: c1.read(1024),
        lambda: c1.read_into(bytearray(512)),
        lambda: c1.write(bytes(1024)),
        lambda: c1.set_deadline(after(r.choice([0.001, 0.010, 1.0]))),
        lambda: c1.set_read_deadline(r.choice([None, a_long_time_ago(), after(0.005)])),
        lambda: c1.set_write_deadline(r.choice([None, a_long_time_ago(), after(0.005)])),
        lambda: c1.local_addr,
        lambda: c1.remote_addr,
        lambda: c1.fileno(),
        lambda: c1.closed(),
    ]
    if network == "tcp":
        methods.append(lambda: c1.set_nodelay(True))
    gs = []
    n = 0
    for i in range(60):
        for m in methods:
            wg.add(1)
            gs.append(gonet.go(call, m, r.randrange(4)))
            n += 1
        if i == 30:
            wg.add(1)
            gs.append(gonet.go(call, c1.close, r.randrange(4)))
            n += 1
    wg.wait()
    for g in gs:
        g.join()
    assert sum(outcomes.values()) == n
    assert outcomes.get("ClosedError", 0) > 0
    assert c1.closed()
    assert c1.fileno() == -1
    stop()
    assert e.join() in ("EOF", "ClosedError", "ConnectionResetError", "BrokenPipeError")
