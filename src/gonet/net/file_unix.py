"""file_listener: a Listener from an existing socket (Go's ``net/file_unix.go``, go1.22).

Go's ``net.FileListener(f)`` ``dup``\\ s the file's descriptor
(``dupSocket``: ``F_DUPFD_CLOEXEC``, then non-blocking), asks the kernel
what the socket is (``SO_DOMAIN``, ``SO_TYPE``, ``getsockname``) and wraps
the copy as a listener registered with the netpoller. The original
descriptor stays the caller's: closing the listener never closes it, and
closing it never breaks the listener. That is what a pre-forked worker or a
gunicorn worker needs: the master's listening socket, inherited or passed,
served by this process's netpoller.

The duplicate shares the open file description with the original, so the
``O_NONBLOCK`` this module sets is seen through the original too (as with
Go, whose ``dupSocket`` does the same). The original's owner reads it with
blocking semantics only if it sets them back.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from typing import Protocol

from .addr import addr_from_sockaddr
from .errors import op_error
from .fd_unix import NetFD
from .listener import Listener
from .sockopt import DEFAULT_TCP_KEEPALIVE
from .tcpsock import keepalive_period

__all__ = ["file_listener"]


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


def _network_of(family: int, sotype: int) -> str | None:
    if family in (socket.AF_INET, socket.AF_INET6) and sotype == socket.SOCK_STREAM:
        return "tcp"
    if family == socket.AF_UNIX:
        if sotype == socket.SOCK_STREAM:
            return "unix"
        if sotype == socket.SOCK_SEQPACKET:
            return "unixpacket"
    return None


def _file_error(err: BaseException, what: str = "") -> BaseException:
    # Go's newFileFD/fileListener: &OpError{Op: "file", Net: "file+net", Err: err}. The
    # detail (which check failed, or the failing call) sits where Go puts a syscall name.
    return op_error("file", "file+net", None, None, err, what)


def _listener_fd(sock: socket.socket) -> tuple[str, NetFD]:
    """The network and the netFD of ``sock`` if it is a listening stream socket, not registered yet."""
    net = _network_of(sock.family, sock.type)
    einval = OSError(errno.EINVAL, os.strerror(errno.EINVAL))
    if net is None:
        raise _file_error(einval, "not a stream socket")
    try:
        listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        sock.setblocking(False)
    except OSError as e:
        raise _file_error(e) from e
    if not listening:
        raise _file_error(einval, "socket is not listening")
    return net, NetFD(sock, sock.family, sock.type, net)


def file_listener(sock_or_fd: int | _HasFileno, *,
                  keepalive: float | None = DEFAULT_TCP_KEEPALIVE) -> Listener:
    """file_listener returns a :class:`Listener` serving a copy of a listening socket.

    ``sock_or_fd`` is a descriptor number or anything with ``fileno()`` (a
    ``socket.socket``, a file) naming a listening TCP or unix stream socket,
    typically inherited from a parent process (Go's ``net.FileListener``).
    The descriptor is duplicated close-on-exec, the copy made non-blocking
    and registered with this runtime's netpoller; the caller keeps (and must
    close) the original. Accepted TCP conns get ``TCP_NODELAY`` and, unless
    ``keepalive`` is ``None`` or negative, keep-alive probes, as with
    :func:`gonet.listen`. Closing the listener never removes a unix socket
    file (Go: the file listener does not own the path).

    Must be called inside a runtime (``RuntimeError`` otherwise). Raises
    ``OSError`` ``EBADF`` for a closed descriptor, ``ENOTSOCK`` for one that
    is not a socket and ``EINVAL`` for a socket that is not a listening
    stream socket (a datagram socket, an unlistened or connected one); the
    message is Go's, ``file file+net: ...``.
    """
    fileno = getattr(sock_or_fd, "fileno", None)
    fd = fileno() if fileno is not None else sock_or_fd
    if not isinstance(fd, int) or isinstance(fd, bool):
        raise TypeError(f"file_listener: expected a descriptor or a socket, got "
                        f"{type(sock_or_fd).__name__}")
    if fd < 0:
        raise _file_error(OSError(errno.EBADF, os.strerror(errno.EBADF)))
    try:
        # Go's dupSocket: F_DUPFD_CLOEXEC, so the copy never leaks into a child's exec.
        dup = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 0)
    except OSError as e:
        raise _file_error(e, "dup") from e
    try:
        sock = socket.socket(fileno=dup)  # family and type come from SO_DOMAIN/SO_TYPE
    except OSError as e:
        os.close(dup)
        raise _file_error(e) from e
    try:
        net, nfd = _listener_fd(sock)
    except BaseException:
        sock.close()
        raise
    try:
        nfd.init()
        nfd.set_addr(addr_from_sockaddr(net, sock.family, sock.getsockname()), None)
    except BaseException as e:
        nfd.pfd.force_close()
        if isinstance(e, OSError):
            raise _file_error(e) from e
        raise
    return Listener(nfd, keepalive_period(keepalive) if net == "tcp" else None)
