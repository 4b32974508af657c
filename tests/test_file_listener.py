"""gonet.file_listener: a Listener over a copy of an existing socket (Go's ``net/file_test.go``).

The copy is a new descriptor (close-on-exec, non-blocking, in the netpoller);
the original stays open and usable by its owner; closing either leaves the
other serving; nothing leaks (the autouse descriptor check); bad descriptors
get Go's ``file file+net: ...`` errors; a forked child serves the inherited
socket.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import socket
from pathlib import Path

import pytest

import gonet
from gonet.testing import gotest, open_fds


def echo(conn: gonet.Conn) -> None:
    while data := conn.read():
        conn.write(data)


def round_trip(addr: str, msg: bytes) -> bytes:
    with gonet.dial("tcp", addr) as c:
        c.write(msg)
        return c.read()


def blocking_listener() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def test_serves_a_copy_and_the_original_stays_usable() -> None:
    orig = blocking_listener()
    port = orig.getsockname()[1]

    @gotest
    def main() -> None:
        ln = gonet.file_listener(orig)
        assert ln.fileno() != orig.fileno()
        assert fcntl.fcntl(ln.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        assert fcntl.fcntl(ln.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK
        assert ln.addr is not None and ln.addr.network == "tcp"
        assert (ln.addr.host, ln.addr.port) == ("127.0.0.1", port)
        g = gonet.go(ln.serve, echo)
        assert round_trip(f"127.0.0.1:{port}", b"through the copy") == b"through the copy"
        ln.close()
        g.join(timeout=5)

    main()
    # The original is still open and still listening: a plain client connects and
    # the original accepts it (the copy's O_NONBLOCK is shared, so wait with select).
    assert orig.fileno() >= 0
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        assert select.select([orig], [], [], 5)[0]
        peer, _ = orig.accept()
        peer.close()
    orig.close()


def test_closing_the_original_leaves_the_listener_serving() -> None:
    orig = blocking_listener()
    port = orig.getsockname()[1]

    @gotest
    def main() -> None:
        with gonet.file_listener(orig.fileno()) as ln:  # a plain descriptor number works too
            orig.close()
            g = gonet.go(ln.serve, echo)
            assert round_trip(f"127.0.0.1:{port}", b"still here") == b"still here"
        g.join(timeout=5)

    main()


def test_no_descriptor_left_after_close() -> None:
    orig = blocking_listener()
    before = open_fds()

    @gotest
    def main() -> None:
        for _ in range(20):
            ln = gonet.file_listener(orig)
            ln.close()

    main()
    assert open_fds() == before
    orig.close()


def test_unix_listener_keeps_its_socket_file(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    orig = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    orig.bind(path)
    orig.listen(4)

    @gotest
    def main() -> None:
        ln = gonet.file_listener(orig)
        assert ln.addr is not None and (ln.addr.network, ln.addr.host) == ("unix", path)
        g = gonet.go(ln.serve, echo)
        with gonet.dial("unix", path) as c:
            c.write(b"unix")
            assert c.read() == b"unix"
        ln.close()
        g.join(timeout=5)

    main()
    assert os.path.exists(path), "the file listener does not own the socket file"
    orig.close()


def test_accepted_tcp_conns_get_nodelay() -> None:
    orig = blocking_listener()
    port = orig.getsockname()[1]

    @gotest
    def main() -> None:
        with gonet.file_listener(orig) as ln, gonet.dial("tcp", f"127.0.0.1:{port}") as c:
            with ln.accept() as sc:
                s = socket.socket(fileno=os.dup(sc.fileno()))
                try:
                    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                finally:
                    s.close()
            assert c.read() == b""

    main()
    orig.close()


def _errno_of(fn: object, *args: object) -> tuple[int, str]:
    out: list[tuple[int, str]] = []

    @gotest
    def main() -> None:
        with pytest.raises(OSError) as ei:
            gonet.file_listener(*args)  # type: ignore[arg-type]
        assert ei.value.errno is not None
        out.append((ei.value.errno, ei.value.strerror or ""))

    main()
    return out[0]


def test_not_a_listening_stream_socket_is_einval() -> None:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    unlistened = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    before = open_fds()
    try:
        code, msg = _errno_of(gonet.file_listener, udp)
        assert code == errno.EINVAL
        assert msg.startswith("file file+net: not a stream socket")
        code, msg = _errno_of(gonet.file_listener, unlistened)
        assert code == errno.EINVAL
        assert "socket is not listening" in msg
    finally:
        assert open_fds() == before  # the failed copies were closed
        udp.close()
        unlistened.close()


def test_bad_descriptors() -> None:
    r, w = os.pipe()
    closed = 19_999  # above anything this process opens
    with pytest.raises(OSError):
        os.fstat(closed)
    try:
        assert _errno_of(gonet.file_listener, r)[0] == errno.ENOTSOCK
        code, msg = _errno_of(gonet.file_listener, closed)
        assert code == errno.EBADF and msg.startswith("file file+net: dup:")
        assert _errno_of(gonet.file_listener, -1)[0] == errno.EBADF
    finally:
        os.close(r)
        os.close(w)

    @gotest
    def main() -> None:
        with pytest.raises(TypeError):
            gonet.file_listener("3")  # type: ignore[arg-type]

    main()


def test_outside_a_runtime_raises_and_leaks_nothing() -> None:
    orig = blocking_listener()
    before = open_fds()
    with pytest.raises(RuntimeError):
        gonet.file_listener(orig)
    assert open_fds() == before
    orig.close()


@pytest.mark.timeout(30)
def test_forked_child_serves_the_inherited_socket() -> None:
    """The prefork pattern: the parent listens, a child wraps the inherited descriptor."""
    orig = blocking_listener()
    port = orig.getsockname()[1]
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: serve one connection, then exit
        code = 1
        try:
            os.close(ready_r)

            def child() -> None:
                with gonet.file_listener(orig) as ln:
                    os.write(ready_w, b"x")
                    with ln.accept() as c:
                        c.write(b"child %d" % os.getpid())

            gonet.run(child)
            code = 0
        finally:
            os._exit(code)
    os.close(ready_w)
    try:
        assert os.read(ready_r, 1) == b"x"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            assert c.recv(100) == b"child %d" % pid
    finally:
        os.close(ready_r)
        _, status = os.waitpid(pid, 0)
        orig.close()
    assert os.waitstatus_to_exitcode(status) == 0


def test_exported_from_gonet_and_gonet_net() -> None:
    import gonet.net

    assert gonet.file_listener is gonet.net.file_listener
    assert "file_listener" in gonet.__all__ and "file_listener" in gonet.net.__all__
