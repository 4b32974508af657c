"""Behaviours of Go's ``net/net_test.go`` (go1.22), plus the net package's error contract.

Close unblocks parked reads and accepts; use after close; half-close
(TestCloseRead, TestCloseWrite); TestClosingListener; TestZeroByteRead;
TestCloseUnblocksRead; peer resets and writes to closed peers; Go-formatted
error messages; addresses; TCP_NODELAY; Listener.serve; fileno and context
managers.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

import gonet
from gonet.testing import MockClock, gotest, wait_all_blocked
from netutil import linger_reset, pipe

STREAM_NETWORKS = ["tcp", "unix", "unixpacket"]


def local_address(network: str, tmp: Path) -> str:
    """local_address is a fresh address to listen on for ``network``."""
    if network.startswith("tcp"):
        return "[::1]:0" if network == "tcp6" else "127.0.0.1:0"
    return str(tmp / f"{network[:5]}-{uuid.uuid4().hex[:8]}.sock")




def written(err: BaseException) -> int:
    """written is the ``written`` attribute every exception from ``write`` carries."""
    n = getattr(err, "written", None)
    assert isinstance(n, int), f"{err!r} has no written attribute"
    return n


def expect_raises(exc: type[BaseException], fn: Callable[[], object]) -> BaseException:
    """expect_raises runs ``fn`` (in a goroutine's body) and returns the exception it raised."""
    with pytest.raises(exc) as info:
        fn()
    return info.value


# --- close unblocks parked operations --------------------------------------------------------


@gotest
@pytest.mark.parametrize("network", STREAM_NETWORKS)
def test_close_unblocks_parked_read(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with s:
        g = gonet.go(expect_raises, gonet.ClosedError, c.read)
        wait_all_blocked()
        assert not g.done()
        c.close()
        err = g.join()
        assert "use of closed network connection" in str(err)
        assert str(err).startswith(f"read {network} ")


@gotest
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_close_unblocks_parked_read_into(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with s:
        g = gonet.go(expect_raises, gonet.ClosedError, lambda: c.read_into(bytearray(10)))
        wait_all_blocked()
        c.close()
        assert "use of closed network connection" in str(g.join())


@gotest
def test_close_unblocks_all_goroutines_parked_on_one_conn() -> None:
    # Only one reader holds the read lock; the others wait for it. Close wakes them all.
    c, s = pipe()
    with s:
        readers = [gonet.go(expect_raises, gonet.ClosedError, c.read) for _ in range(3)]
        wait_all_blocked()
        c.close()
        for g in readers:
            assert "use of closed network connection" in str(g.join())


@gotest
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_close_unblocks_parked_write(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    data = b"x" * (32 << 20)  # far more than both socket buffers hold; the peer never reads
    with s:
        g = gonet.go(expect_raises, gonet.ClosedError, lambda: c.write(data))
        wait_all_blocked()
        assert not g.done()
        c.close()
        err = g.join()
        assert "use of closed network connection" in str(err)
        assert str(err).startswith(f"write {network} ")
        assert 0 < written(err) < len(data)


@gotest
@pytest.mark.parametrize("network", STREAM_NETWORKS)
def test_close_unblocks_parked_accept(network: str, tmp_path: Path) -> None:
    ln = gonet.listen(network, local_address(network, tmp_path))
    g = gonet.go(expect_raises, gonet.ClosedError, ln.accept)
    wait_all_blocked()
    assert not g.done()
    ln.close()
    err = g.join()
    assert str(err) == f"accept {network} {ln.addr}: use of closed network connection"


@gotest
def test_close_returns_after_descriptor_is_closed() -> None:
    # Close waits for the parked reader to leave, then close(2)s: the number is free at once.
    c, s = pipe()
    with s:
        fd = c.fileno()
        g = gonet.go(expect_raises, gonet.ClosedError, c.read)
        wait_all_blocked()
        c.close()
        assert c.fileno() == -1
        with pytest.raises(OSError) as info:
            os.fstat(fd)
        assert info.value.errno == errno.EBADF
        g.join()


# --- TestCloseUnblocksRead: the peer's close wakes a parked read with EOF ----------------------


@gotest
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_peer_close_unblocks_read_with_eof(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with c:
        g = gonet.go(c.read, 1)
        wait_all_blocked()
        assert not g.done()
        s.close()
        assert g.join() == b""
        # EOF repeats without a new edge, for both read forms.
        assert c.read() == b""
        assert c.read_into(bytearray(8)) == 0


@gotest
def test_data_then_eof() -> None:
    c, s = pipe()
    with c:
        s.write(b"hello")
        s.close()
        got = b""
        while chunk := c.read(2):
            got += chunk
        assert got == b"hello"
        assert c.read() == b""


@gotest(clock=MockClock)
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_eof_arriving_with_data_in_one_edge(network: str, tmp_path: Path) -> None:
    # The reader is parked when data and the FIN arrive together (one epoll edge).
    # It reads the data; the next read must see EOF at once, not wait for an edge
    # that will never come. The deadline (virtual time) turns a lost EOF into a failure.
    c, s = pipe(network, local_address(network, tmp_path))
    with c:
        r = gonet.go(c.read)
        wait_all_blocked()
        s.write(b"last words")
        s.close()
        assert r.join() == b"last words"
        c.set_read_deadline(gonet.monotonic() + 10)
        assert c.read() == b""
        assert c.read_into(bytearray(4)) == 0


@gotest(clock=MockClock)
def test_reset_arriving_with_data_in_one_edge() -> None:
    c, s = pipe()
    with c:
        r = gonet.go(c.read)
        wait_all_blocked()
        s.write(b"x")
        linger_reset(s)
        first = r.join()
        c.set_read_deadline(gonet.monotonic() + 10)
        if first == b"x":  # Linux delivers the data queued before the RST ...
            with pytest.raises(ConnectionResetError):
                c.read()
        else:  # ... or a reset parked reader gets the error straight away
            pytest.fail(f"unexpected first read {first!r}")


# --- use after close -------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("network", STREAM_NETWORKS)
def test_conn_ops_after_close(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    s.close()
    laddr, raddr = c.local_addr, c.remote_addr
    c.close()
    err = expect_raises(gonet.ClosedError, c.read)
    assert "use of closed network connection" in str(err)
    expect_raises(gonet.ClosedError, lambda: c.read_into(bytearray(1)))
    werr = expect_raises(gonet.ClosedError, lambda: c.write(b"x"))
    assert written(werr) == 0
    expect_raises(gonet.ClosedError, lambda: c.set_deadline(gonet.monotonic() + 1))
    expect_raises(gonet.ClosedError, lambda: c.set_read_deadline(None))
    expect_raises(gonet.ClosedError, lambda: c.set_write_deadline(None))
    expect_raises(gonet.ClosedError, c.close_write)
    expect_raises(gonet.ClosedError, c.close_read)
    # Addresses stay readable after close, as in Go.
    assert (c.local_addr, c.remote_addr) == (laddr, raddr)
    assert c.fileno() == -1


@gotest
def test_conn_ops_after_close_message_names_addresses() -> None:
    c, s = pipe()
    s.close()
    c.close()
    err = expect_raises(gonet.ClosedError, c.read)
    assert str(err) == (f"read tcp {c.local_addr}->{c.remote_addr}: "
                        "use of closed network connection")
    err = expect_raises(gonet.ClosedError, lambda: c.write(b"x"))
    assert str(err) == (f"write tcp {c.local_addr}->{c.remote_addr}: "
                        "use of closed network connection")
    expect_raises(gonet.ClosedError, c.set_nodelay)


@gotest
@pytest.mark.parametrize("network", STREAM_NETWORKS)
def test_listener_close(network: str, tmp_path: Path) -> None:
    # Go's TestListenerClose: accept fails after close, and so does a dial to the address.
    ln = gonet.listen(network, local_address(network, tmp_path))
    addr = ln.addr
    ln.close()
    err = expect_raises(gonet.ClosedError, ln.accept)
    assert "use of closed network connection" in str(err)
    expect_raises(gonet.ClosedError, lambda: ln.set_deadline(None))
    assert ln.fileno() == -1
    assert ln.addr == addr
    with pytest.raises(OSError) as info:
        gonet.dial(network, str(addr))
    assert not isinstance(info.value, gonet.ClosedError)
    assert info.value.errno in (errno.ECONNREFUSED, errno.ENOENT)


@gotest
@pytest.mark.parametrize("network", STREAM_NETWORKS)
def test_close_is_idempotent(network: str, tmp_path: Path) -> None:
    ln = gonet.listen(network, local_address(network, tmp_path))
    g = gonet.go(ln.accept)
    c = gonet.dial(network, str(ln.addr))
    s = g.join()
    for _ in range(3):
        c.close()
        s.close()
        ln.close()
    assert c.fileno() == s.fileno() == ln.fileno() == -1


@gotest
def test_concurrent_closes_of_one_conn() -> None:
    c, s = pipe()
    with s:
        reader = gonet.go(expect_raises, gonet.ClosedError, c.read)
        closers = [gonet.go(c.close) for _ in range(4)]
        for g in closers:
            assert g.join() is None
        reader.join()
        assert c.fileno() == -1


# --- half-close: TestCloseWrite, TestCloseRead -------------------------------------------------


@gotest
@pytest.mark.parametrize("network", STREAM_NETWORKS)
def test_close_write(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with c, s:
        c.close_write()
        # The peer reads EOF ...
        assert s.read(1) == b""
        # ... and can still write to us, and we can still read.
        s.write(b"still open")
        got = b""
        while len(got) < 10:
            got += c.read()
        assert got == b"still open"
        s.close_write()
        assert c.read(1) == b""
        # Writing after close_write is an error (EPIPE), not a dead process.
        err = expect_raises(OSError, lambda: c.write(b"x"))
        assert isinstance(err, BrokenPipeError)
        assert not isinstance(err, gonet.ClosedError)
        assert written(err) == 0
        assert str(err).startswith(f"[Errno {errno.EPIPE}] write {network} ")
        assert str(err).endswith("broken pipe")


@gotest
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_close_write_wakes_parked_peer_read(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with c, s:
        g = gonet.go(s.read)
        wait_all_blocked()
        c.close_write()
        assert g.join() == b""


@gotest
@pytest.mark.parametrize("network", STREAM_NETWORKS)
def test_close_read(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with c, s:
        c.close_read()
        # Go's TestCloseRead: a read after CloseRead returns at once with no data.
        assert c.read(1) == b""
        assert c.read_into(bytearray(1)) == 0
        # The other direction still works.
        c.write(b"ping")
        got = b""
        while len(got) < 4:
            got += s.read()
        assert got == b"ping"


# --- TestClosingListener / TestListenCloseListen -------------------------------------------


@gotest
def test_closing_listener_address_reusable_at_once() -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    addr = str(ln.addr)

    def acceptor() -> None:
        while True:
            try:
                c = ln.accept()
            except gonet.ClosedError:
                return
            c.close()

    g = gonet.go(acceptor)
    wait_all_blocked()  # the acceptor is parked in accept
    ln.close()
    ln2 = gonet.listen("tcp", addr)
    ln2.close()
    g.join()


@gotest
def test_listen_close_listen_with_established_conns() -> None:
    # The port can be listened on again at once even while connections accepted on
    # it (and so bound to it) are open, and after they leave TIME_WAIT behind.
    ln = gonet.listen("tcp", "127.0.0.1:0")
    addr = str(ln.addr)
    for i in range(5):
        g = gonet.go(ln.accept)
        c = gonet.dial("tcp", addr)
        s = g.join()
        ln.close()
        ln = gonet.listen("tcp", addr)
        assert str(ln.addr) == addr
        if i % 2:
            s.close()  # the server side closes first: TIME_WAIT on the listening port
            c.close()
        else:
            c.close()
            s.close()
    ln.close()


# --- TestZeroByteRead ----------------------------------------------------------------------


@gotest(clock=MockClock)
@pytest.mark.parametrize("network", STREAM_NETWORKS)
def test_zero_byte_read(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with c, s:
        # A deadline in virtual time: a zero-byte read that parked would fail with it.
        for conn in (c, s):
            conn.set_read_deadline(gonet.monotonic() + 10)
        t0 = gonet.monotonic()
        for conn in (c, s):
            assert conn.read(0) == b""
            assert conn.read_into(bytearray()) == 0
            assert conn.read_into(memoryview(bytearray(4))[:0]) == 0
        assert gonet.monotonic() == t0
        # With data pending, a zero-byte read consumes none of it.
        s.write(b"abc")
        assert c.read(0) == b""
        got = b""
        while len(got) < 3:
            got += c.read()
        assert got == b"abc"


# --- peer reset, writes to closed peers ---------------------------------------------------


@gotest
def test_peer_reset_wakes_parked_read_with_connection_reset() -> None:
    c, s = pipe()
    with c:
        g = gonet.go(expect_raises, ConnectionResetError, c.read)
        wait_all_blocked()
        linger_reset(s)
        err = g.join()
        assert isinstance(err, OSError) and err.errno == errno.ECONNRESET
        assert str(err) == (f"[Errno {errno.ECONNRESET}] read tcp {c.local_addr}->"
                            f"{c.remote_addr}: read: connection reset by peer")
        assert isinstance(err.__cause__, ConnectionResetError)


@gotest
def test_peer_reset_before_read() -> None:
    c, s = pipe()
    with c:
        s.write(b"x")
        linger_reset(s)
        with pytest.raises(ConnectionResetError, match="connection reset by peer"):
            while True:
                assert c.read() in (b"x",)
        # A reset socket then reads EOF; it never raises anything but OSErrors.
        assert c.read() == b""


@gotest
def test_write_to_closed_peer_raises_with_written() -> None:
    c, s = pipe()
    with c:
        s.close()
        assert c.read() == b""
        chunk = b"y" * 4096
        err: OSError | None = None
        for _ in range(1000):  # the first writes may succeed; the peer answers them with RST
            try:
                c.write(chunk)
            except OSError as e:
                err = e
                break
            gonet.gosched()
        assert isinstance(err, (BrokenPipeError, ConnectionResetError)), err
        assert not isinstance(err, gonet.ClosedError)
        assert 0 <= written(err) <= len(chunk)
        assert f"write tcp {c.local_addr}->{c.remote_addr}: write: " in str(err)
        # The conn is still ours to close; later writes fail the same way.
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            c.write(chunk)


@gotest
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_peer_reset_wakes_parked_write(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    data = b"z" * (32 << 20)
    with c:
        g = gonet.go(expect_raises, OSError, lambda: c.write(data))
        wait_all_blocked()
        assert not g.done()
        if network == "tcp":
            linger_reset(s)
        else:
            s.close()
        err = g.join()
        assert isinstance(err, (BrokenPipeError, ConnectionResetError)), err
        assert 0 < written(err) < len(data)


_SIGPIPE_SCRIPT = textwrap.dedent("""
    import signal, sys
    import gonet

    # A host program (or a CLI that wants `| head` to end quietly) may restore
    # SIGPIPE's default action. Go never dies of SIGPIPE on a socket: the write
    # fails with EPIPE instead. gonet must behave the same.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    def main(network, address):
        with gonet.listen(network, address) as ln:
            g = gonet.go(ln.accept)
            c = gonet.dial(network, str(ln.addr))
            s = g.join()
        s.close()
        with c:
            for _ in range(100):
                try:
                    c.write(b"x" * 1000)
                except OSError as e:
                    return type(e).__name__
        return "no error"

    print(gonet.run(main, "tcp", "127.0.0.1:0"))
    print(gonet.run(main, "unix", sys.argv[1]))
""")


def test_write_to_closed_peer_never_kills_the_process(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", _SIGPIPE_SCRIPT, str(tmp_path / "p.sock")],
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, (f"process died (returncode {proc.returncode}; -13 is "
                                  f"SIGPIPE): {proc.stderr[-2000:]}")
    lines = proc.stdout.split()
    assert len(lines) == 2
    for line in lines:
        assert line in ("BrokenPipeError", "ConnectionResetError")


# --- dial and listen errors --------------------------------------------------------------


def closed_port() -> int:
    with gonet.listen("tcp4", "127.0.0.1:0") as ln:
        assert ln.addr is not None and ln.addr.port is not None
        return ln.addr.port


@gotest
def test_dial_refused() -> None:
    port = closed_port()
    with pytest.raises(ConnectionRefusedError) as info:
        gonet.dial("tcp", f"127.0.0.1:{port}")
    err = info.value
    assert err.errno == errno.ECONNREFUSED
    assert str(err) == (f"[Errno {errno.ECONNREFUSED}] dial tcp 127.0.0.1:{port}: "
                        "connect: connection refused")


@gotest
def test_listen_on_used_port_is_addr_in_use() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        with pytest.raises(OSError) as info:
            gonet.listen("tcp", str(ln.addr))
        assert info.value.errno == errno.EADDRINUSE
        assert f"listen tcp {ln.addr}: bind: address already in use" in str(info.value)
        # The first listener is unharmed.
        g = gonet.go(ln.accept)
        with gonet.dial("tcp", str(ln.addr)), g.join():
            pass


@gotest
@pytest.mark.parametrize("call", [
    lambda: gonet.listen("tcp7", "127.0.0.1:0"),
    lambda: gonet.listen("", "127.0.0.1:0"),
    lambda: gonet.dial("tcp7", "127.0.0.1:1"),
    lambda: gonet.dial("TCP", "127.0.0.1:1"),
    lambda: gonet.listen_packet("udp7", "127.0.0.1:0"),
    lambda: gonet.listen_packet("ip", "127.0.0.1:0"),
])
def test_unknown_network(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="unknown network"):
        call()


@gotest
def test_unknown_network_is_named() -> None:
    for fn in (gonet.listen, gonet.dial, gonet.listen_packet):
        with pytest.raises(ValueError) as info:
            fn("bogus-net", "127.0.0.1:0")
        assert "bogus-net" in str(info.value)


@gotest
def test_wrong_kind_of_network() -> None:
    with pytest.raises(ValueError, match="udp"):
        gonet.listen("udp", "127.0.0.1:0")
    with pytest.raises(ValueError, match="tcp"):
        gonet.listen_packet("tcp", "127.0.0.1:0")


@gotest
@pytest.mark.parametrize("address", [
    "127.0.0.1",  # missing port
    "::1:80",  # too many colons
    "[::1:80",  # missing ']'
    "[::1]80",  # missing port
    "127.0.0.1:99999",  # invalid port
    "foo[bar]:80",  # unexpected '['
])
@pytest.mark.parametrize("op", ["listen", "dial", "listen_packet"])
def test_malformed_address(op: str, address: str) -> None:
    net = "udp" if op == "listen_packet" else "tcp"
    with pytest.raises(gonet.AddrError) as info:
        getattr(gonet, op)(net, address)
    # Go's OpError around the AddrError: "dial tcp: address 127.0.0.1: missing port in address".
    named = "99999" if address.endswith(":99999") else address
    assert str(info.value).startswith(f"{'listen' if op != 'dial' else 'dial'} {net}: address {named}: ")


# --- addresses ------------------------------------------------------------------------------


@gotest
def test_tcp_addr_strings_and_both_ends_match() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        addr = ln.addr
        assert addr is not None and addr.port is not None
        assert str(addr) == f"127.0.0.1:{addr.port}"
        assert (addr.network, addr.host) == ("tcp", "127.0.0.1")
        g = gonet.go(ln.accept)
        with gonet.dial("tcp", str(addr)) as c, g.join() as s:
            assert c.remote_addr == s.local_addr == addr
            assert s.remote_addr == c.local_addr
            assert c.local_addr is not None and c.local_addr.port != addr.port
            assert str(c.local_addr) == f"127.0.0.1:{c.local_addr.port}"
            assert c.network == s.network == "tcp"


@gotest
def test_tcp6_addr_strings() -> None:
    with gonet.listen("tcp6", "[::1]:0") as ln:
        addr = ln.addr
        assert addr is not None
        assert str(addr) == f"[::1]:{addr.port}"
        g = gonet.go(ln.accept)
        with gonet.dial("tcp6", str(addr)) as c, g.join() as s:
            assert str(c.remote_addr) == f"[::1]:{addr.port}"
            assert s.remote_addr == c.local_addr
            assert c.remote_addr == s.local_addr


@gotest
def test_unix_addr_strings(tmp_path: Path) -> None:
    path = str(tmp_path / "a.sock")
    with gonet.listen("unix", path) as ln:
        assert ln.addr == gonet.Addr("unix", path, None)
        assert str(ln.addr) == path
        g = gonet.go(ln.accept)
        with gonet.dial("unix", path) as c, g.join() as s:
            assert c.remote_addr == s.local_addr == ln.addr
            # The dialing side is unnamed (Go: an empty UnixAddr), so the server sees no name.
            assert c.local_addr == gonet.Addr("unix", "@", None)  # Linux autobind, as Go
            assert s.remote_addr == gonet.Addr("unix", "@", None)


@gotest
def test_abstract_unix_addr_strings() -> None:
    name = f"@gonet-test-{uuid.uuid4().hex}"
    with gonet.listen("unix", name) as ln:
        assert str(ln.addr) == name
        g = gonet.go(ln.accept)
        with gonet.dial("unix", name) as c, g.join() as s:
            assert str(c.remote_addr) == name
            assert str(s.local_addr) == name


@gotest
def test_port_zero_gives_ephemeral_port() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as a, gonet.listen("tcp", "127.0.0.1:0") as b:
        assert a.addr is not None and b.addr is not None
        assert a.addr.port and b.addr.port
        assert a.addr.port != b.addr.port


def _ipv6_loopback_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@gotest
def test_wildcard_listener_accepts_ipv4_and_ipv6() -> None:
    with gonet.listen("tcp", ":0") as ln:
        assert ln.addr is not None and ln.addr.port
        port = ln.addr.port
        targets = [f"127.0.0.1:{port}"]
        if _ipv6_loopback_works():
            targets.append(f"[::1]:{port}")
            assert str(ln.addr) == f"[::]:{port}"  # one dual-stack socket, as in Go
        for target in targets:
            g = gonet.go(ln.accept)
            with gonet.dial("tcp", target) as c, g.join() as s:
                assert str(c.remote_addr) == target
                # IPv4 peers of a dual-stack socket are shown as IPv4, as Go shows them.
                assert s.remote_addr == c.local_addr
                c.write(b"hi")
                assert s.read() == b"hi"


@gotest
def test_tcp4_wildcard_listener() -> None:
    with gonet.listen("tcp4", ":0") as ln:
        assert ln.addr is not None
        assert str(ln.addr) == f"0.0.0.0:{ln.addr.port}"
        g = gonet.go(ln.accept)
        with gonet.dial("tcp4", f"127.0.0.1:{ln.addr.port}") as c, g.join() as s:
            assert s.remote_addr == c.local_addr


# --- socket options -----------------------------------------------------------------------


def nodelay(conn: gonet.Conn) -> bool:
    return bool(conn._pfd.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


@gotest
def test_tcp_nodelay_on_for_dialed_and_accepted() -> None:
    for address in ("127.0.0.1:0", "[::1]:0") if _ipv6_loopback_works() else ("127.0.0.1:0",):
        c, s = pipe("tcp", address)
        with c, s:
            assert nodelay(c)
            assert nodelay(s)
            c.set_nodelay(False)
            assert not nodelay(c)
            c.set_nodelay()
            assert nodelay(c)


@gotest
def test_set_nodelay_on_unix_is_rejected(tmp_path: Path) -> None:
    c, s = pipe("unix", str(tmp_path / "n.sock"))
    with c, s, pytest.raises(ValueError):
        c.set_nodelay(True)


@gotest
def test_set_keepalive() -> None:
    c, s = pipe()
    with c, s:
        sock = c._pfd.sock
        c.set_keepalive(True, idle=30, interval=7, count=4)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 30
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 7
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 4
        c.set_keepalive(False)
        assert not sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)


@gotest
def test_listener_sets_reuseaddr_and_nonblocking_cloexec() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        fd = ln.fileno()
        probe = socket.socket(fileno=os.dup(fd))
        try:
            assert probe.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
            assert probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        finally:
            probe.close()
        assert not os.get_inheritable(fd)
        assert not os.get_blocking(fd)
        c, s = pipe()
        with c, s:
            for conn in (c, s):
                assert not os.get_inheritable(conn.fileno())
                assert not os.get_blocking(conn.fileno())


# --- Listener.serve ------------------------------------------------------------------------


@gotest
def test_serve_runs_handler_per_conn_and_closes_conn() -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    handled: gonet.Chan[gonet.Conn] = gonet.Chan(10)
    ids: set[int] = set()

    def handler(conn: gonet.Conn) -> None:
        ids.add(gonet.current().id)
        data = conn.read()
        conn.write(data.upper())
        handled.send(conn)
        # Returning closes the conn; the client then reads EOF.

    server = gonet.go(ln.serve, handler)
    clients = []
    for i in range(5):
        c = gonet.dial("tcp", str(ln.addr))
        c.write(f"hello {i}".encode())
        clients.append(c)
    for i, c in enumerate(clients):
        got = b""
        while len(got) < len(f"hello {i}"):
            got += c.read()
        assert got == f"HELLO {i}".encode()
        assert c.read() == b""  # the server side was closed when the handler returned
        c.close()
    server_conns = [handled.recv() for _ in range(5)]
    assert len(ids) == 5  # one goroutine per connection
    assert gonet.current().id not in ids and server.id not in ids
    wait_all_blocked()
    assert all(sc.fileno() == -1 for sc in server_conns)
    assert not server.done()
    ln.close()
    assert server.join() is None  # serve returns once the listener is closed


@gotest
def test_serve_closes_conn_when_handler_raises(capfd: pytest.CaptureFixture[str]) -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")

    def handler(conn: gonet.Conn) -> None:
        raise RuntimeError("handler failed")

    server = gonet.go(ln.serve, handler)
    with gonet.dial("tcp", str(ln.addr)) as c:
        assert c.read() == b""
    ln.close()
    server.join()
    assert "handler failed" in capfd.readouterr().err


@gotest
def test_serve_on_closed_listener_returns_at_once() -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    ln.close()
    ln.serve(lambda conn: None)  # returns (does not park, does not raise)


# --- fileno and context managers ------------------------------------------------------------


@gotest
def test_fileno_values() -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    g = gonet.go(ln.accept)
    c = gonet.dial("tcp", str(ln.addr))
    s = g.join()
    fds = [ln.fileno(), c.fileno(), s.fileno()]
    assert len(set(fds)) == 3
    for fd in fds:
        assert fd >= 0
        assert stat.S_ISSOCK(os.fstat(fd).st_mode)
    assert c.fileno() == c._pfd.sock.fileno()
    for obj in (ln, c, s):
        obj.close()
        assert obj.fileno() == -1


@gotest
def test_context_managers_close() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        g = gonet.go(ln.accept)
        with gonet.dial("tcp", str(ln.addr)) as c:
            with g.join() as s:
                assert s.fileno() >= 0
            assert s.fileno() == -1
            assert c.read() == b""  # the peer's with-block closed it
        assert c.fileno() == -1
        with pytest.raises(gonet.ClosedError):
            c.read()
    assert ln.fileno() == -1
    with pytest.raises(gonet.ClosedError):
        ln.accept()


@gotest
def test_context_manager_closes_on_exception() -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    with pytest.raises(KeyError), ln:
        raise KeyError("x")
    assert ln.fileno() == -1
    with pytest.raises(gonet.ClosedError):
        ln.accept()


# --- reads and writes ----------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("network", STREAM_NETWORKS)
def test_echo_round_trip(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with c, s:
        def echo() -> None:
            while data := s.read():
                s.write(data)

        g = gonet.go(echo)
        for i in range(20):
            msg = f"message {i}".encode() * (i + 1)
            assert c.write(msg) == len(msg)
            got = b""
            while len(got) < len(msg):
                got += c.read()
            assert got == msg
        c.close_write()
        g.join()


@gotest
def test_read_n_bounds_result_and_write_accepts_buffers() -> None:
    c, s = pipe()
    with c, s:
        assert s.write(bytearray(b"abcdef")) == 6
        assert s.write(memoryview(b"ghij")) == 4
        import array

        arr = array.array("i", [1, 2])
        assert s.write(memoryview(arr)) == 8  # len() is 2 items, but 8 bytes are written
        got = b""
        while len(got) < 18:
            chunk = c.read(4)
            assert 1 <= len(chunk) <= 4
            got += chunk
        assert got == b"abcdefghij" + arr.tobytes()
        buf = bytearray(5)
        s.write(b"12345")
        n = 0
        while n < 5:
            n += c.read_into(memoryview(buf)[n:])
        assert buf == b"12345"
