"""Unix stream and seqpacket sockets (Go's ``net/unixsock_test.go``, go1.22).

Listen/dial/echo on paths and ``@abstract`` names; the socket file is
removed when the listener closes; listening on an existing path fails with
``EADDRINUSE``; dial errors; local and remote names
(TestUnixConnLocalAndRemoteNames); ``unixpacket`` keeps message boundaries.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import uuid
from pathlib import Path

import pytest

import gonet
from gonet.testing import gotest, wait_all_blocked


def abstract_name() -> str:
    return f"@gonet-test-{uuid.uuid4().hex}"


def read_exact(conn: gonet.Conn, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = conn.read(n - len(out))
        assert chunk, f"EOF after {len(out)} of {n} bytes"
        out += chunk
    return out


def echo(conn: gonet.Conn) -> None:
    while data := conn.read():
        conn.write(data)


@gotest
@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_unix_listen_dial_echo(kind: str, tmp_path: Path) -> None:
    address = str(tmp_path / "e.sock") if kind == "path" else abstract_name()
    ln = gonet.listen("unix", address)
    assert str(ln.addr) == address
    assert ln.addr == gonet.Addr("unix", address, None)
    server = gonet.go(ln.serve, echo)
    for i in range(3):
        with gonet.dial("unix", address) as c:
            assert c.remote_addr == ln.addr
            assert c.network == "unix"
            for j in range(5):
                msg = f"unix {i}.{j} ".encode() * (j + 1)
                assert c.write(msg) == len(msg)
                assert read_exact(c, len(msg)) == msg
    wait_all_blocked()  # the handlers see EOF and return
    ln.close()
    server.join()


@gotest
def test_unix_many_concurrent_conns(tmp_path: Path) -> None:
    path = str(tmp_path / "m.sock")
    ln = gonet.listen("unix", path)
    server = gonet.go(ln.serve, echo)
    wg = gonet.WaitGroup()
    ok: list[int] = []

    def client(i: int) -> None:
        try:
            with gonet.dial("unix", path) as c:
                msg = f"client {i}".encode() * 50
                c.write(msg)
                assert read_exact(c, len(msg)) == msg
                ok.append(i)
        finally:
            wg.done()

    clients = []
    for i in range(200):
        wg.add()
        clients.append(gonet.go(client, i))
    wg.wait()
    for g in clients:
        g.join()
    assert sorted(ok) == list(range(200))
    wait_all_blocked()
    ln.close()
    server.join()


@gotest
def test_unix_socket_file_removed_on_close(tmp_path: Path) -> None:
    path = tmp_path / "r.sock"
    ln = gonet.listen("unix", str(path))
    assert stat.S_ISSOCK(path.stat().st_mode)
    ln.close()
    assert not path.exists()
    ln.close()  # idempotent, and it does not try to remove the file twice
    # The path is free: listen on it again at once.
    with gonet.listen("unix", str(path)):
        assert path.exists()
    assert not path.exists()


@gotest
def test_unix_socket_file_removed_when_closed_while_accepting(tmp_path: Path) -> None:
    path = tmp_path / "a.sock"
    ln = gonet.listen("unix", str(path))
    g = gonet.go(ln.accept)
    wait_all_blocked()
    ln.close()
    with pytest.raises(gonet.ClosedError):
        g.join()
    assert not path.exists()


@gotest
def test_unix_listen_on_existing_path_is_addr_in_use(tmp_path: Path) -> None:
    path = str(tmp_path / "u.sock")
    with gonet.listen("unix", path) as ln:
        with pytest.raises(OSError) as info:
            gonet.listen("unix", path)
        assert info.value.errno == errno.EADDRINUSE
        assert f"listen unix {path}: bind: address already in use" in str(info.value)
        # The failed listen must not have removed the first listener's file.
        assert os.path.exists(path)
        g = gonet.go(ln.accept)
        with gonet.dial("unix", path), g.join():
            pass


@gotest
def test_unix_listen_on_stale_socket_file_is_addr_in_use(tmp_path: Path) -> None:
    # A socket file left behind by a dead process still blocks bind(2), as in Go.
    path = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()
    assert path.exists()
    with pytest.raises(OSError) as info:
        gonet.listen("unix", str(path))
    assert info.value.errno == errno.EADDRINUSE
    assert path.exists()  # gonet does not remove a file it did not create


@gotest
def test_abstract_name_in_use() -> None:
    name = abstract_name()
    with gonet.listen("unix", name):
        with pytest.raises(OSError) as info:
            gonet.listen("unix", name)
        assert info.value.errno == errno.EADDRINUSE
    # Abstract names vanish with the socket: free again at once.
    with gonet.listen("unix", name) as ln:
        assert str(ln.addr) == name


@gotest
def test_dial_missing_path(tmp_path: Path) -> None:
    path = str(tmp_path / "nobody.sock")
    with pytest.raises(FileNotFoundError) as info:
        gonet.dial("unix", path)
    assert info.value.errno == errno.ENOENT
    assert f"dial unix {path}: connect: no such file or directory" in str(info.value)


@gotest
def test_dial_socket_file_without_listener_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dead.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()
    with pytest.raises(ConnectionRefusedError) as info:
        gonet.dial("unix", str(path))
    assert f"dial unix {path}: connect: connection refused" in str(info.value)


@gotest
def test_unix_local_and_remote_names(tmp_path: Path) -> None:
    # Go's TestUnixConnLocalAndRemoteNames: the listener's name is the server conn's
    # local name and the client conn's remote name; an unbound client
    # is shown as "@" (Linux autobind), as Go shows it.
    path = str(tmp_path / "n.sock")
    with gonet.listen("unix", path) as ln:
        g = gonet.go(ln.accept)
        with gonet.dial("unix", path) as c, g.join() as s:
            assert s.local_addr == c.remote_addr == gonet.Addr("unix", path, None)
            assert c.local_addr == gonet.Addr("unix", "@", None)  # Linux autobind, as Go
            assert s.remote_addr == gonet.Addr("unix", "@", None)
            assert s.local_addr is not None and s.local_addr.port is None


@gotest
def test_unix_close_write_half_close(tmp_path: Path) -> None:
    path = str(tmp_path / "h.sock")
    with gonet.listen("unix", path) as ln:
        g = gonet.go(ln.accept)
        with gonet.dial("unix", path) as c, g.join() as s:
            c.write(b"request")
            c.close_write()
            got = b""
            while chunk := s.read():
                got += chunk
            assert got == b"request"
            s.write(b"response")
            s.close()
            assert read_exact(c, 8) == b"response"
            assert c.read() == b""


@gotest
def test_unix_big_transfer(tmp_path: Path) -> None:
    path = str(tmp_path / "b.sock")
    data = os.urandom(4 << 20)
    with gonet.listen("unix", path) as ln:
        g = gonet.go(ln.accept)
        with gonet.dial("unix", path) as c, g.join() as s:
            def writer() -> int:
                n = c.write(data)
                c.close_write()
                return n

            w = gonet.go(writer)
            out = bytearray()
            buf = bytearray(7919)
            while n := s.read_into(buf):
                out += buf[:n]
            assert w.join() == len(data)
            assert out == data


# --- unixpacket -----------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_unixpacket_keeps_message_boundaries(kind: str, tmp_path: Path) -> None:
    address = str(tmp_path / "p.sock") if kind == "path" else abstract_name()
    with gonet.listen("unixpacket", address) as ln:
        assert str(ln.addr) == address
        g = gonet.go(ln.accept)
        with gonet.dial("unixpacket", address) as c, g.join() as s:
            assert c.remote_addr == s.local_addr
            c.write(b"a" * 10)
            c.write(b"b" * 20)
            c.write(b"c" * 30)
            # Each read returns exactly one message, never two glued together ...
            assert s.read(100) == b"a" * 10
            assert s.read(100) == b"b" * 20
            # ... and a read shorter than the message truncates it.
            assert s.read(5) == b"c" * 5
            s.write(b"reply")
            assert c.read() == b"reply"


@gotest
def test_unixpacket_close_unblocks_and_eof(tmp_path: Path) -> None:
    path = str(tmp_path / "q.sock")
    with gonet.listen("unixpacket", path) as ln:
        g = gonet.go(ln.accept)
        c = gonet.dial("unixpacket", path)
        with g.join() as s:
            r = gonet.go(s.read)
            wait_all_blocked()
            assert not r.done()
            c.close()
            assert r.join() == b""  # the peer's close is EOF
            with pytest.raises(gonet.ClosedError):
                c.read()


@gotest
def test_unixpacket_socket_file_removed_on_close(tmp_path: Path) -> None:
    path = tmp_path / "pr.sock"
    ln = gonet.listen("unixpacket", str(path))
    assert path.exists()
    ln.close()
    assert not path.exists()
