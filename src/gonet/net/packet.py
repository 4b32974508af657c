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
from .._poll.fd_unix import MAX_RW
from .._types import Buffer
from .addr import Addr, AddrError
from .args import check_readable, check_size
from .conn import check_deadline
from .errors import addr_op_error
from .lookup import resolve

if TYPE_CHECKING:
    from .fd_unix import NetFD

__all__ = ["PacketConn"]


class PacketConn:
    """PacketConn reads and writes datagrams to any peer; create one with :func:`gonet.listen_packet`."""

    __slots__ = ("__weakref__", "_fd", "_pfd")

    def __init__(self, fd: NetFD) -> None:
        self._fd = fd
        self._pfd = fd.pfd

    def __repr__(self) -> str:
        return f"<gonet.PacketConn {self._fd.net} {self._fd.laddr} fd={self._pfd.sysfd}>"

    @property
    def local_addr(self) -> Addr | None:
        """local_addr is the address the socket is bound to."""
        return self._fd.laddr

    def read_from(self, n: int = 65536) -> tuple[bytes, Addr | None]:
        """read_from returns ``(datagram, sender)``, parking until a datagram arrives.

        A datagram longer than ``n`` is truncated to ``n`` bytes without error.
        Raises ``ClosedError`` and ``DeadlineExceededError`` as ``Conn.read``
        does, and ``ValueError``/``TypeError`` for a bad ``n`` as it does.
        """
        if type(n) is not int or n < 0 or n > MAX_RW:
            n = check_size("read_from", n)
        return self._fd.recvfrom(n)

    def write_to(self, data: Buffer, addr: Addr | str | tuple[str, int]) -> int:
        """write_to sends ``data`` as one datagram to ``addr``; returns ``len(data)``.

        ``addr`` is an :class:`Addr`, a ``host:port`` string, a ``(host, port)``
        tuple or, for unixgram, a path. A host name is resolved off the
        runtime thread. A malformed ``addr`` raises :class:`AddrError` (a
        ``ValueError``), one of the wrong type ``TypeError``; ``data`` must be
        a bytes-like object (``TypeError``).
        """
        if type(data) is not bytes and type(data) is not bytearray:
            data = check_readable("write_to", data)
        # The socket address to send to and its Addr, resolved as dial resolves (inline:
        # no extra call per datagram).
        fd = self._fd
        if isinstance(addr, Addr):
            if fd.family != socket.AF_UNIX and addr.port is None:
                raise addr_op_error("write", fd.net, AddrError("missing port in address", str(addr)))
            target: Any = addr.host if addr.port is None else (addr.host, addr.port)
        elif isinstance(addr, (str, tuple, bytes, os.PathLike)):
            target = addr
        else:
            raise TypeError(f"write_to: addr must be an Addr, a 'host:port' str or a (host, port) "
                            f"tuple, not {type(addr).__name__}")
        eps = resolve("write", fd.net, target, listen=False)
        ep = eps[0]
        if fd.family == socket.AF_INET:
            # An IPv4 socket can reach IPv4 peers only: take a name's first IPv4 address.
            ep = next((e for e in eps if e.family == socket.AF_INET), ep)
        sa = ep.sockaddr
        if fd.family == socket.AF_INET6 and ep.family == socket.AF_INET:
            sa = ("::ffff:" + sa[0], sa[1], 0, 0)  # an IPv4 peer of a dual-stack socket
        return fd.sendto(data, sa, ep.addr)

    def close(self) -> None:
        """close closes the socket; idempotent. A parked ``read_from`` wakes with ``ClosedError``.

        A unixgram socket bound to a path removes its socket file.
        """
        try:
            self._fd.close()
        except ClosedError:
            pass

    def set_deadline(self, t: float | None) -> None:
        """set_deadline sets the read and write deadlines."""
        self._set(t, True, True)

    def set_read_deadline(self, t: float | None) -> None:
        """set_read_deadline sets the time after which ``read_from`` fails (``None``: never)."""
        self._set(t, True, False)

    def set_write_deadline(self, t: float | None) -> None:
        """set_write_deadline sets the time after which ``write_to`` fails (``None``: never)."""
        self._set(t, False, True)

    def _set(self, t: float | None, read: bool, write: bool) -> None:
        self._fd.set_deadline(check_deadline(t), read, write)

    def fileno(self) -> int:
        """fileno is the socket's descriptor (-1 once closed)."""
        return self._pfd.sysfd

    def __enter__(self) -> PacketConn:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
