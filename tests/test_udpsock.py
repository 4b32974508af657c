"""Behaviours of Go's ``net/udpsock_test.go`` (go1.22) and unixgram packet conns.

listen_packet on udp/udp4/udp6 and unixgram; write_to/read_from with the
right sender address; zero-length datagrams (TestUDPZeroBytePayload); a
datagram longer than the buffer is truncated without error
(TestUDPReadSizeError's cousin); dialed UDP conns; read_from deadlines on
the virtual clock; close unblocks a parked read_from
(TestCloseUnblocksReadUDP); use after close (TestPacketConnClose).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

import gonet
from gonet.testing import MockClock, gotest, wait_all_blocked


def _ipv6_loopback_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


IPV6 = _ipv6_loopback_works()

UDP_CASES = [("udp", "127.0.0.1:0"), ("udp4", "127.0.0.1:0")]
if IPV6:
    UDP_CASES += [("udp6", "[::1]:0"), ("udp", "[::1]:0")]


def laddr(pc: gonet.PacketConn | gonet.Conn) -> gonet.Addr:
    """laddr is the (always present) local address of a bound socket."""
    a = pc.local_addr
    assert a is not None
    return a


def expect_raises(exc: type[BaseException], fn: Callable[[], object]) -> BaseException:
    with pytest.raises(exc) as info:
        fn()
    return info.value


# --- round trips ---------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize(("network", "address"), UDP_CASES)
def test_write_to_read_from_round_trip(network: str, address: str) -> None:
    with gonet.listen_packet(network, address) as a, gonet.listen_packet(network, address) as b:
        assert a.local_addr is not None and b.local_addr is not None
        assert a.local_addr.port and b.local_addr.port
        assert a.local_addr.network == "udp"  # Go's UDPAddr.Network() for udp4/udp6 too
        assert a.write_to(b"ping", b.local_addr) == 4
        data, sender = b.read_from()
        assert data == b"ping"
        assert sender == a.local_addr
        # Reply to whatever read_from returned.
        assert sender is not None
        assert b.write_to(b"pong", sender) == 4
        data, sender = a.read_from()
        assert (data, sender) == (b"pong", b.local_addr)


@gotest
def test_write_to_accepts_string_and_tuple_addresses() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as a, \
            gonet.listen_packet("udp", "127.0.0.1:0") as b:
        assert b.local_addr is not None and b.local_addr.port is not None
        a.write_to(b"one", str(b.local_addr))
        a.write_to(b"two", ("127.0.0.1", b.local_addr.port))
        assert b.read_from()[0] == b"one"
        assert b.read_from()[0] == b"two"


@gotest
def test_wildcard_udp_listener_shows_ipv4_senders_as_ipv4() -> None:
    with gonet.listen_packet("udp", ":0") as srv, gonet.listen_packet("udp4", "127.0.0.1:0") as c:
        assert srv.local_addr is not None
        port = srv.local_addr.port
        c.write_to(b"v4", f"127.0.0.1:{port}")
        data, sender = srv.read_from()
        assert data == b"v4"
        assert sender is not None and str(sender) == str(c.local_addr)
        srv.write_to(b"back", sender)
        assert c.read_from() == (b"back", gonet.Addr("udp", "127.0.0.1", port))


@gotest
def test_many_datagrams_sent_before_reader_parks() -> None:
    # All datagrams arrive while nobody waits: one edge, latched; the reader drains them all.
    with gonet.listen_packet("udp", "127.0.0.1:0") as a, \
            gonet.listen_packet("udp", "127.0.0.1:0") as b:
        assert b.local_addr is not None
        for i in range(100):
            a.write_to(i.to_bytes(2, "big"), b.local_addr)
        got = [int.from_bytes(b.read_from()[0], "big") for _ in range(100)]
        assert got == list(range(100))


@gotest
def test_parked_reader_woken_by_each_datagram() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as a, \
            gonet.listen_packet("udp", "127.0.0.1:0") as b:
        assert b.local_addr is not None
        for i in range(20):
            g = gonet.go(b.read_from)
            wait_all_blocked()
            assert not g.done()
            a.write_to(bytes([i]), b.local_addr)
            assert g.join() == (bytes([i]), a.local_addr)


# --- zero-length and truncated datagrams ------------------------------------------------------


@gotest
@pytest.mark.parametrize(("network", "address"), UDP_CASES)
def test_zero_length_datagram(network: str, address: str) -> None:
    # Go's TestUDPZeroBytePayload: an empty datagram is sent and received as one.
    with gonet.listen_packet(network, address) as c:
        assert c.write_to(b"", laddr(c)) == 0
        assert c.write_to(b"after", laddr(c)) == 5
        assert c.read_from() == (b"", c.local_addr)
        assert c.read_from() == (b"after", c.local_addr)


@gotest
def test_zero_length_datagram_wakes_parked_reader() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as c:
        g = gonet.go(c.read_from)
        wait_all_blocked()
        assert not g.done()
        c.write_to(b"", laddr(c))
        assert g.join() == (b"", c.local_addr)


@gotest
def test_long_datagram_truncated_without_error() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as c:
        payload = bytes(range(256)) * 4
        c.write_to(payload, laddr(c))
        c.write_to(b"next", laddr(c))
        data, sender = c.read_from(10)
        assert data == payload[:10]
        assert sender == c.local_addr
        # The rest of the long datagram is gone; the next read gets the next datagram.
        assert c.read_from(10) == (b"next", c.local_addr)


@gotest
def test_read_from_zero_byte_buffer_consumes_a_datagram() -> None:
    # Go's TestUDPZeroByteBuffer: ReadFrom into an empty buffer succeeds (truncating to 0).
    with gonet.listen_packet("udp", "127.0.0.1:0") as c:
        c.write_to(b"UDP ZERO BYTE BUFFER TEST", laddr(c))
        c.write_to(b"second", laddr(c))
        assert c.read_from(0) == (b"", c.local_addr)
        assert c.read_from() == (b"second", c.local_addr)


@gotest
def test_max_size_datagram() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as c:
        payload = b"m" * 65507  # the largest UDP payload over IPv4
        assert c.write_to(payload, laddr(c)) == len(payload)
        assert c.read_from(65536) == (payload, c.local_addr)
        with pytest.raises(OSError) as info:
            c.write_to(b"m" * 65508, laddr(c))
        assert info.value.errno == errno.EMSGSIZE
        assert f"write udp {c.local_addr}" in str(info.value)


# --- dialed UDP conns ------------------------------------------------------------------------


@gotest
def test_dialed_udp_conn_read_write() -> None:
    with (gonet.listen_packet("udp", "127.0.0.1:0") as srv,
          gonet.dial("udp", str(srv.local_addr)) as c):
        assert c.remote_addr == srv.local_addr
        assert c.local_addr is not None and c.local_addr.port
        assert c.write(b"hello") == 5
        assert srv.read_from() == (b"hello", c.local_addr)
        # write(b"") sends an empty datagram, as in Go.
        assert c.write(b"") == 0
        assert srv.read_from() == (b"", c.local_addr)
        srv.write_to(b"reply", laddr(c))
        assert c.read() == b"reply"
        # Each read is one datagram, truncated to n.
        srv.write_to(b"0123456789", laddr(c))
        srv.write_to(b"ab", laddr(c))
        assert c.read(4) == b"0123"
        assert c.read(4) == b"ab"
        # read_into, too.
        srv.write_to(b"xyz", laddr(c))
        buf = bytearray(8)
        assert c.read_into(buf) == 3
        assert buf[:3] == b"xyz"


@gotest
def test_dialed_udp_conn_ignores_other_senders() -> None:
    with (gonet.listen_packet("udp", "127.0.0.1:0") as srv,
          gonet.listen_packet("udp", "127.0.0.1:0") as stranger,
          gonet.dial("udp", str(srv.local_addr)) as c):
        stranger.write_to(b"not for you", laddr(c))
        srv.write_to(b"for you", laddr(c))
        assert c.read() == b"for you"


@gotest
def test_dialed_udp_read_gets_connection_refused() -> None:
    # A connected UDP socket learns of the ICMP port-unreachable: the parked read wakes
    # (EPOLLERR wakes both sides) with ConnectionRefusedError.
    with gonet.listen_packet("udp4", "127.0.0.1:0") as tmp:
        addr = str(tmp.local_addr)
    with gonet.dial("udp", addr) as c:
        g = gonet.go(expect_raises, ConnectionRefusedError, c.read)
        wait_all_blocked()
        c.write(b"anyone?")
        err = g.join()
        assert str(err).endswith(f"read udp {c.local_addr}->{addr}: read: connection refused")


# --- deadlines ------------------------------------------------------------------------------


@gotest(clock=MockClock)
def test_read_from_deadline() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as c:
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + 5)
        err = expect_raises(gonet.DeadlineExceededError, c.read_from)
        assert gonet.monotonic() - t0 == pytest.approx(5)
        assert str(err) == f"read udp {c.local_addr}: i/o timeout"
        # A passed deadline fails at once, without touching data ...
        c.write_to(b"kept", laddr(c))
        expect_raises(gonet.DeadlineExceededError, c.read_from)
        assert gonet.monotonic() - t0 == pytest.approx(5)
        # ... until a new deadline is set.
        c.set_read_deadline(None)
        assert c.read_from() == (b"kept", c.local_addr)
        c.set_deadline(gonet.monotonic() - 1)
        expect_raises(gonet.DeadlineExceededError, c.read_from)
        expect_raises(gonet.DeadlineExceededError, lambda: c.write_to(b"x", laddr(c)))
        c.set_write_deadline(None)
        assert c.write_to(b"x", laddr(c)) == 1


@gotest(clock=MockClock)
def test_read_from_deadline_extended_while_parked() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as c:
        t0 = gonet.monotonic()
        c.set_read_deadline(t0 + 1)
        g = gonet.go(expect_raises, gonet.DeadlineExceededError, c.read_from)
        wait_all_blocked()
        c.set_read_deadline(t0 + 3)
        g.join()
        assert gonet.monotonic() - t0 == pytest.approx(3)


# --- close ----------------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize(("network", "address"), UDP_CASES[:2])
def test_close_unblocks_read_from(network: str, address: str) -> None:
    c = gonet.listen_packet(network, address)
    g = gonet.go(expect_raises, gonet.ClosedError, c.read_from)
    wait_all_blocked()
    assert not g.done()
    c.close()
    err = g.join()
    assert str(err) == f"read {network} {c.local_addr}: use of closed network connection"


@gotest
def test_close_unblocks_dialed_udp_read() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as srv:
        c = gonet.dial("udp", str(srv.local_addr))
        g = gonet.go(expect_raises, gonet.ClosedError, c.read)
        wait_all_blocked()
        c.close()
        assert "use of closed network connection" in str(g.join())


@gotest
def test_packet_conn_ops_after_close() -> None:
    c = gonet.listen_packet("udp", "127.0.0.1:0")
    addr = c.local_addr
    c.close()
    c.close()  # idempotent
    assert c.fileno() == -1
    err = expect_raises(gonet.ClosedError, c.read_from)
    assert "use of closed network connection" in str(err)
    expect_raises(gonet.ClosedError, lambda: c.write_to(b"x", "127.0.0.1:9"))
    expect_raises(gonet.ClosedError, lambda: c.set_read_deadline(None))
    expect_raises(gonet.ClosedError, lambda: c.set_deadline(None))
    assert c.local_addr == addr


@gotest
def test_packet_conn_fileno_and_context_manager() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as c:
        fd = c.fileno()
        assert fd >= 0
        s = socket.socket(fileno=socket.dup(fd))
        try:
            assert s.type == socket.SOCK_DGRAM
            assert s.getsockname()[1] == laddr(c).port
        finally:
            s.close()
    assert c.fileno() == -1


@gotest
def test_listen_packet_on_used_port() -> None:
    with gonet.listen_packet("udp", "127.0.0.1:0") as c:
        with pytest.raises(OSError) as info:
            gonet.listen_packet("udp", str(c.local_addr))
        assert info.value.errno == errno.EADDRINUSE
        assert f"listen udp {c.local_addr}: bind: address already in use" in str(info.value)


# --- unixgram ------------------------------------------------------------------------------


@gotest
def test_unixgram_round_trip(tmp_path: Path) -> None:
    pa, pb = str(tmp_path / "a"), str(tmp_path / "b")
    with gonet.listen_packet("unixgram", pa) as a, gonet.listen_packet("unixgram", pb) as b:
        assert a.local_addr == gonet.Addr("unixgram", pa, None)
        assert str(b.local_addr) == pb
        assert a.write_to(b"to b", pb) == 4
        assert b.read_from() == (b"to b", a.local_addr)
        assert b.write_to(b"to a", laddr(a)) == 4
        assert a.read_from() == (b"to a", b.local_addr)
        # Zero-length and truncated datagrams, as for UDP.
        a.write_to(b"", pb)
        assert b.read_from() == (b"", a.local_addr)
        a.write_to(b"0123456789", pb)
        assert b.read_from(3) == (b"012", a.local_addr)
    # Closing removes the socket files.
    assert not Path(pa).exists() and not Path(pb).exists()


@gotest
def test_unixgram_abstract_and_unnamed_sender(tmp_path: Path) -> None:
    import uuid

    name = f"@gonet-test-{uuid.uuid4().hex}"
    with gonet.listen_packet("unixgram", name) as srv:
        assert str(srv.local_addr) == name
        with gonet.dial("unixgram", name) as c:
            assert str(c.remote_addr) == name
            c.write(b"anonymous")
            data, sender = srv.read_from()
            assert data == b"anonymous"
            assert sender is None  # an unbound unixgram socket has no name to reply to


@gotest
def test_unixgram_close_unblocks_read_from(tmp_path: Path) -> None:
    c = gonet.listen_packet("unixgram", str(tmp_path / "g"))
    g = gonet.go(expect_raises, gonet.ClosedError, c.read_from)
    wait_all_blocked()
    c.close()
    assert "use of closed network connection" in str(g.join())
