"""Creating sockets (Go's ``net/sock_posix.go``, ``sys_cloexec.go``, ``sockopt_posix.go``).

:func:`socket` is Go's ``socket()``: create the descriptor non-blocking and
close-on-exec in one ``socket(2)`` call (``SOCK_NONBLOCK|SOCK_CLOEXEC``),
apply the default options, then either listen (stream), bind (datagram) or
dial, registering with the netpoller exactly once along the way.

Every failure leaves formatted as Go's ``listen``/``dial`` ``OpError``, at
the call that failed, naming it (``listen tcp 127.0.0.1:80: bind: address
already in use``): the netFD carries the requested address until the real
ones are known, and :meth:`NetFD.syscall` formats (errors.py).
"""

from __future__ import annotations

import errno
import socket as _socket
from typing import Any

from . import hook_unix
from .addr import Addr
from .errors import op_error
from .fd_unix import NetFD
from .sockopt import set_default_listener_sockopts, set_default_sockopts
from .unixsock import UnixPathFD

__all__ = ["socket"]


def socket(net: str, family: int, sotype: int, ipv6only: bool, laddr: Any, raddr: Any,
           addr: Addr, *, deadline: float | None = None, backlog: int = 0,
           reuse_port: bool = False) -> NetFD:
    """socket creates a netFD that listens on ``laddr`` or dials ``raddr`` (Go's ``socket``).

    ``addr`` is the address asked for, shown in errors (Go's ``OpError.Addr``):
    operation ``listen`` when only ``laddr`` is given, else ``dial``.
    """
    listening = laddr is not None and raddr is None
    op = "listen" if listening else "dial"
    try:
        s = hook_unix.socket_func(family, sotype | _socket.SOCK_NONBLOCK | _socket.SOCK_CLOEXEC, 0)
    except OSError as e:
        raise op_error(op, net, None, addr, e, "socket") from e  # no netFD yet
    # A unix socket bound to a name gets the netFD that removes its file on close.
    fd = (UnixPathFD if family == _socket.AF_UNIX and laddr is not None else NetFD)(
        s, family, sotype, net)
    if listening:
        fd.set_addr(addr, None)
    else:
        fd.set_addr(None, addr)
    try:
        fd.syscall(op, "setsockopt", set_default_sockopts, s, family, sotype, ipv6only)
        if listening:
            if sotype in (_socket.SOCK_STREAM, _socket.SOCK_SEQPACKET):
                _listen_stream(fd, laddr, backlog, reuse_port)
            else:
                _listen_datagram(fd, laddr, reuse_port)
            return fd
        _dial(fd, laddr, raddr, deadline)
        return fd
    except BaseException:
        try:
            fd.close()  # removes a socket file its bind created (UnixPathFD)
        except OSError:
            pass  # the failure being raised says more
        raise


def _listen_stream(fd: NetFD, laddr: Any, backlog: int, reuse_port: bool) -> None:
    sock = fd.pfd.sock
    if fd.family != _socket.AF_UNIX:
        fd.syscall("listen", "setsockopt", set_default_listener_sockopts, sock)
    if reuse_port:
        fd.syscall("listen", "setsockopt", sock.setsockopt, _socket.SOL_SOCKET,
                   _socket.SO_REUSEPORT, 1)
    _bind(fd, "listen", laddr)
    fd.syscall("listen", "listen", hook_unix.listen_func, sock, backlog)
    fd.syscall("listen", "", fd.init)
    fd.set_addr(fd.syscall("listen", "getsockname", fd.sockname), None)


def _listen_datagram(fd: NetFD, laddr: Any, reuse_port: bool) -> None:
    sock = fd.pfd.sock
    if reuse_port:
        fd.syscall("listen", "setsockopt", sock.setsockopt, _socket.SOL_SOCKET,
                   _socket.SO_REUSEPORT, 1)
    _bind(fd, "listen", laddr)
    fd.syscall("listen", "", fd.init)
    fd.set_addr(fd.syscall("listen", "getsockname", fd.sockname), None)


def _dial(fd: NetFD, laddr: Any, raddr: Any, deadline: float | None) -> None:
    sock = fd.pfd.sock
    if laddr is not None:
        _bind(fd, "dial", laddr)
    rsa = fd.connect(raddr, deadline)
    lsa = fd.syscall("dial", "getsockname", sock.getsockname)
    if rsa is None:
        try:
            rsa = sock.getpeername()
        except OSError as e:
            if e.errno != errno.ENOTCONN:
                raise fd.error("dial", e, "getpeername") from e
            rsa = raddr
    fd.set_addr(fd.addr_of(lsa), fd.addr_of(rsa))


def _bind(fd: NetFD, op: str, laddr: Any) -> None:
    fd.syscall(op, "bind", fd.pfd.sock.bind, laddr)
    if isinstance(fd, UnixPathFD):
        fd.bound(laddr)  # its close removes the file
