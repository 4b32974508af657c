"""Go's error messages, completely (Go's ``net/net.go`` OpError, ``os.SyscallError``, ``DNSError``).

Each test checks the whole text Go would print for the same failure, and the
exception class Python code expects. Name-resolution failures are produced
without resolving anything: ``socket.getaddrinfo`` is replaced for the test
(the resolver is never asked about a name that could leave the machine).
"""

from __future__ import annotations

import ast
import errno
import socket
from pathlib import Path
from typing import Any

import pytest

import gonet
from gonet.testing import gotest, socktest, wait_all_blocked
from netutil import linger_reset, pipe


def expect(exc: type[BaseException], fn: Any, *args: Any) -> Any:
    with pytest.raises(exc) as info:
        fn(*args)
    return info.value


# --- read and write name their system call ------------------------------------------------


@gotest
def test_read_error_names_the_read_syscall() -> None:
    # A read parked when the peer resets wakes with Go's text.
    c, s = pipe()
    with c:
        g = gonet.go(expect, ConnectionResetError, c.read)
        wait_all_blocked()
        linger_reset(s)
        err = g.join()
        assert str(err) == (f"[Errno {errno.ECONNRESET}] read tcp {c.local_addr}->{c.remote_addr}: "
                            "read: connection reset by peer")
        assert (err.op, err.net, err.source, err.addr) == ("read", "tcp", c.local_addr, c.remote_addr)
        assert isinstance(err.__cause__, ConnectionResetError)


@gotest
def test_write_error_names_the_write_syscall() -> None:
    c, s = pipe()
    with c:
        s.close()
        chunk = b"x" * 65536
        err: OSError | None = None
        for _ in range(200):  # the first writes may land before the peer's RST
            try:
                c.write(chunk)
            except OSError as e:
                err = e
                break
            gonet.sleep(0.001)
        assert isinstance(err, (BrokenPipeError, ConnectionResetError)), err
        text = "broken pipe" if isinstance(err, BrokenPipeError) else "connection reset by peer"
        assert str(err) == (f"[Errno {err.errno}] write tcp {c.local_addr}->{c.remote_addr}: "
                            f"write: {text}")


@gotest
def test_timeouts_and_closes_name_no_syscall() -> None:
    # Go wraps only errno values in os.SyscallError: "read tcp a->b: i/o timeout".
    c, s = pipe()
    with c, s:
        c.set_read_deadline(gonet.monotonic() - 1)
        err = expect(gonet.DeadlineExceededError, c.read)
        assert str(err) == f"read tcp {c.local_addr}->{c.remote_addr}: i/o timeout"


@gotest
def test_packet_conn_errors_name_recvfrom_and_sendto() -> None:
    with socktest.Switch() as sw, gonet.listen_packet("udp4", "127.0.0.1:0") as pc:
        target = pc.local_addr
        sw.fail_next("recvfrom", errno.ECONNREFUSED)
        err = expect(ConnectionRefusedError, pc.read_from)
        assert str(err) == (f"[Errno {errno.ECONNREFUSED}] read udp4 {pc.local_addr}: "
                            "recvfrom: connection refused")
        sw.fail_next("sendto", errno.ENOBUFS)
        err = expect(OSError, pc.write_to, b"x", target)
        assert err.errno == errno.ENOBUFS
        assert str(err) == (f"[Errno {errno.ENOBUFS}] write udp4 {pc.local_addr}->{target}: "
                            "sendto: no buffer space available")


# --- operations other than read and write ----------------------------------------------------


@gotest
def test_close_write_and_deadline_and_option_errors_use_go_ops() -> None:
    c, s = pipe()
    s.close()
    laddr, raddr = c.local_addr, c.remote_addr
    c.close()
    closed = "use of closed network connection"
    # Go: CloseWrite/CloseRead are op "close"; deadlines op "set" with the local address only;
    # socket options op "set" with both addresses.
    assert str(expect(gonet.ClosedError, c.close_write)) == f"close tcp {laddr}->{raddr}: {closed}"
    assert str(expect(gonet.ClosedError, c.close_read)) == f"close tcp {laddr}->{raddr}: {closed}"
    err = expect(gonet.ClosedError, c.set_read_deadline, None)
    assert str(err) == f"set tcp {laddr}: {closed}"
    assert (err.op, err.source, err.addr) == ("set", None, laddr)
    assert str(expect(gonet.ClosedError, c.set_nodelay)) == f"set tcp {laddr}->{raddr}: {closed}"
    assert str(expect(gonet.ClosedError, c.set_keepalive)) == f"set tcp {laddr}->{raddr}: {closed}"


@gotest
def test_listener_deadline_error_is_op_set() -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    addr = ln.addr
    ln.close()
    err = expect(gonet.ClosedError, ln.set_deadline, None)
    assert str(err) == f"set tcp {addr}: use of closed network connection"


# --- address errors carry the operation -------------------------------------------------------


@gotest
@pytest.mark.parametrize(("op", "net", "address", "text"), [
    ("dial", "tcp", "localhost", "address localhost: missing port in address"),
    ("listen", "tcp", "127.0.0.1", "address 127.0.0.1: missing port in address"),
    ("listen_packet", "udp", "[::1", "address [::1: missing ']' in address"),
    ("dial", "udp6", "127.0.0.1:-3", "address -3: invalid port"),
])
def test_address_errors_carry_the_operation(op: str, net: str, address: str, text: str) -> None:
    err = expect(gonet.AddrError, getattr(gonet, op), net, address)
    go_op = "dial" if op == "dial" else "listen"
    assert str(err) == f"{go_op} {net}: {text}"
    assert (err.op, err.net) == (go_op, net)
    assert isinstance(err, ValueError)
    # Go's AddrError fields are still there.
    assert f"address {err.addr}: {err.err}" == text


# --- name resolution: socket.gaierror with Go's DNSError text ---------------------------------


class FakeResolver:
    """Replaces socket.getaddrinfo: records the names asked for and fails with ``error``."""

    def __init__(self, error: OSError) -> None:
        self.error = error
        self.asked: list[str] = []

    def __call__(self, host: str, *args: Any, **kwargs: Any) -> Any:
        self.asked.append(host)
        raise self.error


@pytest.fixture
def no_such_host(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    fake = FakeResolver(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.mark.parametrize(("op", "net", "go_op"), [
    ("dial", "tcp", "dial"), ("dial", "udp4", "dial"), ("listen", "tcp6", "listen"),
    ("listen_packet", "udp", "listen"),
])
def test_unresolvable_name_is_gaierror_with_gos_text(no_such_host: FakeResolver, op: str,
                                                     net: str, go_op: str) -> None:
    def main() -> None:
        err = expect(socket.gaierror, getattr(gonet, op), net, "nosuch.gonet.invalid:80")
        assert err.errno == socket.EAI_NONAME
        assert str(err) == (f"[Errno {socket.EAI_NONAME}] {go_op} {net}: "
                            "lookup nosuch.gonet.invalid: no such host")
        assert err.strerror == f"{go_op} {net}: lookup nosuch.gonet.invalid: no such host"
        assert (err.op, err.net, err.name, err.is_not_found) == \
            (go_op, net, "nosuch.gonet.invalid", True)

    gonet.run(main)
    assert no_such_host.asked == ["nosuch.gonet.invalid"]


def test_write_to_unresolvable_name(no_such_host: FakeResolver) -> None:
    def main() -> None:
        with gonet.listen_packet("udp", "127.0.0.1:0") as pc:
            err = expect(socket.gaierror, pc.write_to, b"x", ("nosuch.gonet.invalid", 9))
            assert err.strerror == "write udp: lookup nosuch.gonet.invalid: no such host"

    gonet.run(main)


def test_other_resolver_failures_quote_the_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    # Go quotes gai_strerror for the rest (net/cgo_unix.go), and a resolver's errno as errno text.
    again = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    monkeypatch.setattr(socket, "getaddrinfo", FakeResolver(again))

    def main() -> None:
        err = expect(socket.gaierror, gonet.dial, "tcp", "slow.gonet.invalid:80")
        assert err.strerror == "dial tcp: lookup slow.gonet.invalid: Temporary failure in name resolution"
        assert err.errno == socket.EAI_AGAIN and err.is_not_found is False
        monkeypatch.setattr(socket, "getaddrinfo", FakeResolver(OSError(errno.EMFILE, "x")))
        err = expect(OSError, gonet.dial, "tcp", "busy.gonet.invalid:80")
        assert str(err) == f"[Errno {errno.EMFILE}] dial tcp: lookup busy.gonet.invalid: too many open files"

    gonet.run(main)


# --- unix paths too long -----------------------------------------------------------------------


@gotest
def test_unix_path_too_long_is_einval_from_bind_and_connect() -> None:
    path = "/tmp/" + "p" * 110  # over sun_path's 108 bytes; never created
    err = expect(OSError, gonet.listen, "unix", path)
    assert err.errno == errno.EINVAL
    assert str(err) == f"[Errno {errno.EINVAL}] listen unix {path}: bind: invalid argument"
    err = expect(OSError, gonet.dial, "unix", path)
    assert str(err) == f"[Errno {errno.EINVAL}] dial unix {path}: connect: invalid argument"
    err = expect(OSError, gonet.listen_packet, "unixgram", path)
    assert str(err) == f"[Errno {errno.EINVAL}] listen unixgram {path}: bind: invalid argument"
    with gonet.listen_packet("unixgram", "@gonet-long-path-test") as pc:
        err = expect(OSError, pc.write_to, b"x", path)
        assert str(err) == (f"[Errno {errno.EINVAL}] write unixgram {pc.local_addr}->{path}: "
                            "sendto: invalid argument")


# --- one route: every failure of every operation, Go's fields (issue 7) ----------------------


def fields(err: BaseException) -> tuple[Any, Any, Any, Any]:
    return err.op, err.net, err.source, err.addr  # type: ignore[attr-defined]


@gotest
def test_dial_refused_names_connect() -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    addr = ln.addr
    ln.close()  # nothing listens there now
    err = expect(ConnectionRefusedError, gonet.dial, "tcp", str(addr))
    assert str(err) == f"[Errno {errno.ECONNREFUSED}] dial tcp {addr}: connect: connection refused"
    assert fields(err) == ("dial", "tcp", None, addr)
    assert isinstance(err.__cause__, ConnectionRefusedError)


@gotest
def test_dial_timeout_names_no_syscall() -> None:
    err = expect(gonet.DeadlineExceededError, lambda: gonet.dial("tcp", "127.0.0.1:9", timeout=-1))
    assert str(err) == "dial tcp 127.0.0.1:9: i/o timeout"
    assert fields(err)[:3] == ("dial", "tcp", None)


@gotest
def test_listen_in_use_names_bind_with_the_requested_address() -> None:
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        err = expect(OSError, gonet.listen, "tcp", str(ln.addr))
        assert err.errno == errno.EADDRINUSE
        assert str(err) == (f"[Errno {errno.EADDRINUSE}] listen tcp {ln.addr}: "
                            "bind: address already in use")
        assert fields(err) == ("listen", "tcp", None, ln.addr)


@gotest
def test_accept_errors_name_accept4_with_the_listener_address() -> None:
    with socktest.Switch() as sw, gonet.listen("tcp", "127.0.0.1:0") as ln:
        sw.fail_next("accept", errno.EMFILE)
        g = gonet.go(expect, OSError, ln.accept)
        wait_all_blocked()
        c = gonet.dial("tcp", str(ln.addr))
        err = g.join()
        c.close()
        assert err.errno == errno.EMFILE
        assert str(err) == f"[Errno {errno.EMFILE}] accept tcp {ln.addr}: accept4: too many open files"
        assert fields(err) == ("accept", "tcp", None, ln.addr)  # Go: Source nil, Addr laddr
    err = expect(gonet.ClosedError, ln.accept)
    assert str(err) == f"accept tcp {ln.addr}: use of closed network connection"


@gotest
def test_closed_conn_read_and_write_keep_written() -> None:
    c, s = pipe()
    s.close()
    c.close()
    err = expect(gonet.ClosedError, c.read)
    assert str(err) == f"read tcp {c.local_addr}->{c.remote_addr}: use of closed network connection"
    assert fields(err) == ("read", "tcp", c.local_addr, c.remote_addr)
    err = expect(gonet.ClosedError, c.write, b"x")
    assert str(err) == f"write tcp {c.local_addr}->{c.remote_addr}: use of closed network connection"
    assert err.written == 0


@gotest
def test_write_timeout_keeps_written() -> None:
    c, s = pipe()
    with c, s:
        c.set_write_deadline(gonet.monotonic() + 0.2)
        err = expect(gonet.DeadlineExceededError, c.write, b"x" * (64 << 20))  # more than fits
        assert str(err) == f"write tcp {c.local_addr}->{c.remote_addr}: i/o timeout"
        assert 0 < err.written < 64 << 20
        assert isinstance(err.__cause__, gonet.DeadlineExceededError)


@gotest
def test_write_to_error_fields_are_local_to_target() -> None:
    with socktest.Switch() as sw, gonet.listen_packet("udp4", "127.0.0.1:0") as pc, \
            gonet.listen_packet("udp4", "127.0.0.1:0") as other:
        sw.fail_next("sendto", errno.EPERM)
        err = expect(PermissionError, pc.write_to, b"x", other.local_addr)
        # Go's UDPConn.WriteTo: Source the local address, Addr the target.
        assert fields(err) == ("write", "udp4", pc.local_addr, other.local_addr)
        assert str(err).endswith("sendto: operation not permitted")
    err = expect(gonet.ClosedError, pc.read_from)
    assert str(err) == f"read udp4 {pc.local_addr}: use of closed network connection"


@gotest
def test_deadline_errors_are_local_for_conns_packet_conns_and_listeners() -> None:
    c, s = pipe()
    s.close()
    c.close()
    pc = gonet.listen_packet("udp", "127.0.0.1:0")
    pc.close()
    ln = gonet.listen("tcp", "127.0.0.1:0")
    ln.close()
    for obj, net, laddr in ((c, "tcp", c.local_addr), (pc, "udp", pc.local_addr),
                            (ln, "tcp", ln.addr)):
        err = expect(gonet.ClosedError, obj.set_deadline, None)
        assert fields(err) == ("set", net, None, laddr)
        assert str(err) == f"set {net} {laddr}: use of closed network connection"


@gotest
def test_unix_conn_errors() -> None:
    # The same route for unix sockets: an unnamed peer is "@", as Go shows it.
    c, s = pipe("unix", "@gonet-go-messages-unix")
    with s:
        c.close()
        err = expect(gonet.ClosedError, c.read)
        assert str(err) == (f"read unix {c.local_addr}->{c.remote_addr}: "
                            "use of closed network connection")
        assert str(c.local_addr) == "@"


# --- the route is one, in the sources -------------------------------------------------------------

NET_SRC = Path(gonet.__file__).resolve().parent / "net"

#: Where op_error may be called: the netFD's error (the route) and the failures before a socket
#: exists (socket(2) itself, a dial that never got a socket, the file listener's checks).
OP_ERROR_CALLERS = {"fd_unix.py": {"error"}, "sock_posix.py": {"socket"},
                    "dial.py": {"dial", "_dial_one"}, "file_unix.py": {"_file_error"}}


def _calls(tree: ast.AST) -> list[tuple[str, str, int]]:
    """(enclosing function, called name, line) of every call in ``tree``."""
    out = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.Call):
                    f = node.func
                    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(
                        f, ast.Attribute) else ""
                    out.append((fn.name, name, node.lineno))
    return out


def test_op_error_is_reached_by_one_route() -> None:
    for path in sorted(NET_SRC.glob("*.py")):
        if path.name == "errors.py":
            continue
        tree = ast.parse(path.read_text())
        callers = {fn for fn, name, _ in _calls(tree) if name == "op_error"}
        assert callers <= OP_ERROR_CALLERS.get(path.name, set()), (path.name, callers)


def test_no_syscall_name_is_stamped_on_an_exception() -> None:
    # The failing call passes its system call's name to NetFD.error; nothing is set on the
    # exception for a layer above to read back with getattr.
    for sub in ("net", "_poll"):
        for path in sorted((NET_SRC.parent / sub).glob("*.py")):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "syscall":
                    assert not isinstance(node.ctx, ast.Store), f"{path.name}:{node.lineno}"
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                        node.func.id == "getattr" and len(node.args) >= 2 and \
                        isinstance(node.args[1], ast.Constant) and \
                        node.args[1].value in ("syscall", "written", "what"):
                    raise AssertionError(f"{path.name}:{node.lineno} reads an error attribute back")


def test_conn_listener_and_packet_conn_format_nothing() -> None:
    for name in ("conn.py", "listener.py", "packet.py"):
        tree = ast.parse((NET_SRC / name).read_text())
        formatting = [(fn, called, line) for fn, called, line in _calls(tree)
                      if called in ("op_error", "error", "wrap")]
        assert not formatting, (name, formatting)
