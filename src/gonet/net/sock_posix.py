"""Creating sockets (Go's ``net/sock_posix.go``, ``sys_cloexec.go``, ``sockopt_posix.go``).

:func:`socket` is Go's ``socket()``: create the descriptor non-blocking and
close-on-exec in one ``socket(2)`` call (``SOCK_NONBLOCK|SOCK_CLOEXEC``),
apply the default options, then either listen (stream), bind (datagram) or
dial, registering with the netpoller exactly once along the way.
"""

from __future__ import annotations

import errno
import os
import socket as _socket
from typing import Any

from . import hook_unix
from .fd_unix import NetFD
from .sockopt import set_default_listener_sockopts, set_default_sockopts
from .unixsock import SocketFile

__all__ = ["socket"]


def socket(net: str, family: int, sotype: int, ipv6only: bool, laddr: Any, raddr: Any,
           *, deadline: float | None = None, backlog: int = 0,
           reuse_port: bool = False) -> NetFD:
    """socket creates a netFD that listens on ``laddr`` or dials ``raddr`` (Go's ``socket``)."""
    try:
        s = hook_unix.socket_func(family, sotype | _socket.SOCK_NONBLOCK | _socket.SOCK_CLOEXEC, 0)
    except OSError as e:
        e.syscall = "socket"  # type: ignore[attr-defined]
        raise
    try:
        set_default_sockopts(s, family, sotype, ipv6only)
    except BaseException:
        s.close()
        raise
    fd = NetFD(s, family, sotype, net)
    try:
        if laddr is not None and raddr is None:
            if sotype in (_socket.SOCK_STREAM, _socket.SOCK_SEQPACKET):
                _listen_stream(fd, laddr, backlog, reuse_port)
            else:
                _listen_datagram(fd, laddr, reuse_port)
            return fd
        _dial(fd, laddr, raddr, deadline)
        return fd
    except BaseException:
        fd.close()
        raise


def _listen_stream(fd: NetFD, laddr: Any, backlog: int, reuse_port: bool) -> None:
    sock = fd.pfd.sock
    if fd.family != _socket.AF_UNIX:
        set_default_listener_sockopts(sock)
    if reuse_port:
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEPORT, 1)
    _bind(fd, laddr)
    try:
        hook_unix.listen_func(sock, backlog)
    except OSError as e:
        e.syscall = "listen"  # type: ignore[attr-defined]
        raise
    fd.init()
    fd.set_addr(fd.sockname(), None)


def _listen_datagram(fd: NetFD, laddr: Any, reuse_port: bool) -> None:
    sock = fd.pfd.sock
    if reuse_port:
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEPORT, 1)
    _bind(fd, laddr)
    fd.init()
    fd.set_addr(fd.sockname(), None)


def _dial(fd: NetFD, laddr: Any, raddr: Any, deadline: float | None) -> None:
    sock = fd.pfd.sock
    if laddr is not None:
        _bind(fd, laddr)
    rsa = fd.connect(raddr, deadline)
    lsa = sock.getsockname()
    if rsa is None:
        try:
            rsa = sock.getpeername()
        except OSError as e:
            if e.errno != errno.ENOTCONN:
                raise
            rsa = raddr
    fd.set_addr(fd.addr_of(lsa), fd.addr_of(rsa))


def _bind(fd: NetFD, laddr: Any) -> None:
    try:
        fd.pfd.sock.bind(laddr)
    except OSError as e:
        if type(e) is OSError and e.errno is None:
            # Python's own check of the address (a unix path over 108 bytes ...);
            # the kernel, and so Go, reports it as EINVAL.
            e = OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        e.syscall = "bind"  # type: ignore[attr-defined]
        raise e from None
    if fd.family == _socket.AF_UNIX:
        fd.socket_file = SocketFile.bound(laddr)  # NetFD.close removes it
