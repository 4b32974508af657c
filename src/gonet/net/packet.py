"""PacketConn: an unconnected datagram socket (Go's ``net/udpsock.go`` UDPConn, ``unixsock.go`` unixgram).

``read_from`` returns one datagram and its sender; a datagram longer than
the buffer is truncated without error, as in Go. ``write_to`` sends one
datagram; an empty one is allowed.
"""

from __future__ import annotations

import os
import socket
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._poll.fd import ClosedError
from .._types import Buffer
from .addr import Addr, is_ip_literal, split_host_port, unix_sockaddr
from .conn import check_deadline
from .errors import op_error
from .lookup import resolve

if TYPE_CHECKING:
    from .fd_unix import NetFD

__all__ = ["PacketConn"]


class PacketConn:
    """PacketConn reads and writes datagrams to any peer; create one with :func:`gonet.listen_packet`."""

    __slots__ = ("__weakref__", "_fd", "_pfd", "_unlink_path")

    def __init__(self, fd: NetFD, unlink_path: str | None = None) -> None:
        self._fd = fd
        self._pfd = fd.pfd
        self._unlink_path = unlink_path

    def __repr__(self) -> str:
        return f"<gonet.PacketConn {self._fd.net} {self._fd.laddr} fd={self._pfd.sysfd}>"

    @property
    def local_addr(self) -> Addr | None:
        """local_addr is the address the socket is bound to."""
        return self._fd.laddr

    def read_from(self, n: int = 65536) -> tuple[bytes, Addr | None]:
        """read_from returns ``(datagram, sender)``, parking until a datagram arrives.

        A datagram longer than ``n`` is truncated to ``n`` bytes without error.
        Raises ``ClosedError`` and ``DeadlineExceededError`` as ``Conn.read`` does.
        """
        fd = self._fd
        try:
            data, sa = self._pfd.recvfrom(n)
        except OSError as e:
            raise fd.wrap("read", e) from e
        return data, fd.addr_of(sa) if sa else None

    def write_to(self, data: Buffer, addr: Addr | str | tuple[str, int]) -> int:
        """write_to sends ``data`` as one datagram to ``addr``; returns ``len(data)``.

        ``addr`` is an :class:`Addr`, a ``host:port`` string, a ``(host, port)``
        tuple or, for unixgram, a path.
        """
        fd = self._fd
        sa = self._sockaddr(addr)
        try:
            return self._pfd.sendto(data, sa)
        except OSError as e:
            target = addr if isinstance(addr, Addr) else None
            raise op_error("write", fd.net, fd.laddr, target, e) from e

    def _sockaddr(self, addr: Addr | str | tuple[str, int]) -> Any:
        fd = self._fd
        if fd.family == socket.AF_UNIX:
            path = addr.host if isinstance(addr, Addr) else addr
            if not isinstance(path, str):
                raise ValueError(f"write_to: unixgram address must be a path, not {addr!r}")
            return unix_sockaddr(path)
        if isinstance(addr, Addr):
            if addr.port is None:
                raise ValueError(f"write_to: {addr!r} has no port")
            host, port = addr.host, addr.port
        elif isinstance(addr, tuple):
            host, port = addr
        elif isinstance(addr, str):
            host, service = split_host_port(addr)
            if is_ip_literal(host) and service.isdigit():
                port = int(service)
            else:
                ep = resolve("write", fd.net, addr, listen=False)[0]
                host, port = ep.addr.host, ep.sockaddr[1]
        else:
            raise TypeError(f"write_to: bad address {addr!r}")
        if fd.family == socket.AF_INET6:
            if is_ip_literal(host) == socket.AF_INET:
                host = "::ffff:" + host  # an IPv4 peer of a dual-stack socket
            return (host, port, 0, 0)
        return (host, port)

    def close(self) -> None:
        """close closes the socket; idempotent. A parked ``read_from`` wakes with ``ClosedError``."""
        path = self._unlink_path
        if path is not None:
            self._unlink_path = None
            try:
                os.unlink(path)
            except OSError:
                pass
        try:
            self._fd.close()
        except ClosedError:
            return
        except OSError as e:
            raise self._fd.wrap("close", e) from e

    def set_deadline(self, t: float | None) -> None:
        """set_deadline sets the read and write deadlines."""
        self._set("set_deadline", t, True, True)

    def set_read_deadline(self, t: float | None) -> None:
        """set_read_deadline sets the time after which ``read_from`` fails (``None``: never)."""
        self._set("set_read_deadline", t, True, False)

    def set_write_deadline(self, t: float | None) -> None:
        """set_write_deadline sets the time after which ``write_to`` fails (``None``: never)."""
        self._set("set_write_deadline", t, False, True)

    def _set(self, op: str, t: float | None, read: bool, write: bool) -> None:
        d = check_deadline(t)
        try:
            self._pfd.set_deadline(d, read, write)
        except OSError as e:
            raise self._fd.wrap(op, e) from e

    def fileno(self) -> int:
        """fileno is the socket's descriptor (-1 once closed)."""
        return self._pfd.sysfd

    def __enter__(self) -> PacketConn:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
