"""netFD: a network socket with its addresses (Go's ``net/fd_unix.go``, ``net/fd_posix.go``).

A netFD owns a :class:`gonet._poll.fd_unix.FD` (``pfd``) and knows what the
poll layer does not: the network name, the socket family and type, and the
local and remote addresses used in error messages. ``connect`` and
``accept`` are here, as in Go.

Connect, as Go does it: start a non-blocking ``connect``; only once it
returns ``EINPROGRESS`` register the socket with the netpoller (an
unconnected socket reports ``EPOLLHUP`` at once), then wait for it to become
writable and read ``SO_ERROR``. A writable wakeup can be spurious —
``SO_ERROR`` reads 0 before the connection exists — so success is confirmed
with ``getpeername``; ``ENOTCONN`` means "keep waiting".
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from typing import Any, TypeVar

from .._poll.fd_unix import FD
from .._types import Buffer
from . import hook_unix
from .addr import Addr, addr_from_sockaddr
from .errors import address_errno, op_error

__all__ = ["NetFD"]

T = TypeVar("T")

_CONNECT_PENDING = frozenset({errno.EINPROGRESS, errno.EALREADY, errno.EINTR})
_WILDCARDS = frozenset({"0.0.0.0", "::"})


class NetFD:
    """NetFD is a socket in the net layer: the poll FD plus network, family, type and addresses."""

    __slots__ = ("family", "laddr", "net", "pfd", "raddr", "sotype")

    def __init__(self, sock: socket.socket, family: int, sotype: int, net: str) -> None:
        self.pfd = FD(sock, is_stream=sotype == socket.SOCK_STREAM)
        self.pfd.owner = self  # poll.FD.error formats read/write errors through error()
        self.family = family
        self.sotype = sotype
        self.net = net
        self.laddr: Addr | None = None
        self.raddr: Addr | None = None

    def __repr__(self) -> str:
        return f"<NetFD {self.net} {self.laddr}->{self.raddr} fd={self.pfd.sysfd}>"

    def init(self) -> None:
        """init registers the socket with the netpoller."""
        self.pfd.init()

    def set_addr(self, laddr: Addr | None, raddr: Addr | None) -> None:
        """set_addr records the addresses shown in errors and by ``local_addr``/``remote_addr``."""
        self.laddr = laddr
        self.raddr = raddr

    def addr_of(self, sa: Any) -> Addr | None:
        """addr_of converts one of this socket's socket addresses to an :class:`Addr`."""
        return addr_from_sockaddr(self.net, self.family, sa)

    def sockname(self) -> Addr | None:
        """sockname is the socket's local address (``getsockname``)."""
        return self.addr_of(self.pfd.sock.getsockname())

    def error(self, op: str, err: BaseException, syscall: str = "", written: int | None = None,
              to: Addr | None = None, local: bool = False) -> BaseException:
        """error is ``err`` of operation ``op`` on this socket, with Go's message (the one route: errors.py).

        ``syscall`` names the failed system call (``read``, ``accept4``,
        ``connect`` ...; shown for errno errors only); ``written`` is a
        write's bytes already written. The addresses are Go's ``OpError``
        fields: ``Source`` the local and ``Addr`` the remote address of a
        connected socket (``to`` replaces the remote one: a datagram's target,
        as in Go's ``WriteTo``); ``Source`` none and ``Addr`` the local address
        of a listener, an unconnected socket, or when ``local`` is set (Go's
        ``SetDeadline``). poll.FD reports its read and write errors here too
        (``pfd.owner``), with ``op`` as the system call's name.
        """
        laddr = self.laddr
        raddr = self.raddr if to is None else to
        if raddr is None or local:
            return op_error(op, self.net, None, laddr, err, syscall, written)
        return op_error(op, self.net, laddr, raddr, err, syscall, written)

    def syscall(self, op: str, name: str, fn: Callable[..., T], *args: Any) -> T:
        """syscall returns ``fn(*args)``, system call ``name`` of operation ``op``.

        A failure is raised through :meth:`error`, naming ``name`` (empty:
        none, Go's bare errno, as from registering with the netpoller).
        """
        try:
            return fn(*args)
        except OSError as e:
            raise self.error(op, address_errno(e), name) from e

    def close(self) -> None:
        """close closes the socket (see poll.FD.close); ``ClosedError`` if already closed."""
        try:
            self.pfd.close()
        except OSError as e:
            raise self.error("close", e) from e

    def shutdown(self, how: int) -> None:
        """shutdown half-closes the socket; Go's ``CloseRead``/``CloseWrite`` report op ``close``."""
        try:
            self.pfd.shutdown(how)
        except OSError as e:
            raise self.error("close", e, "shutdown") from e

    def set_deadline(self, t: float | None, read: bool, write: bool) -> None:
        """set_deadline sets the read and/or write deadline (Go: op ``set``, the local address only)."""
        try:
            self.pfd.set_deadline(t, read, write)
        except OSError as e:
            raise self.error("set", e, local=True) from e

    def set_option(self, setter: Callable[..., None], *args: Any) -> None:
        """set_option calls ``setter(sock, *args)`` holding a reference (Go: op ``set``, ``setsockopt``)."""
        pfd = self.pfd
        try:
            pfd.incref()
            try:
                setter(pfd.sock, *args)
            finally:
                pfd.decref()
        except OSError as e:
            raise self.error("set", e, "setsockopt") from e

    # --- datagrams ---------------------------------------------------------------------

    def recvfrom(self, n: int) -> tuple[bytes, Addr | None]:
        """recvfrom returns one datagram (at most ``n`` bytes) and its sender (Go's ``ReadFrom``)."""
        try:
            data, sa = self.pfd.recvfrom(n)
        except OSError as e:
            raise self.error("read", e, "recvfrom") from e
        return data, addr_from_sockaddr(self.net, self.family, sa) if sa else None

    def sendto(self, data: Buffer, sa: Any, target: Addr) -> int:
        """sendto sends one datagram to socket address ``sa`` (``target``, its Addr, for errors)."""
        try:
            return self.pfd.sendto(data, sa)
        except OSError as e:
            raise self.error("write", address_errno(e), "sendto", to=target) from e

    # --- connect -----------------------------------------------------------------------

    def connect(self, ra: Any, deadline: float | None) -> Any:
        """connect connects to socket address ``ra``; returns the peer's socket address.

        Parks until the connection is established; ``deadline`` (clock time)
        bounds the wait with ``DeadlineExceededError``. Failures are the
        dial's, formatted here (``dial tcp 127.0.0.1:1: connect: connection
        refused``): call it with the address dialed as ``raddr``.
        """
        pfd = self.pfd
        sock = pfd.sock
        err = self.syscall("dial", "connect", hook_unix.connect_func, sock, ra)
        if err in _CONNECT_PENDING:
            pass
        elif err in (0, errno.EISCONN):
            self.syscall("dial", "", pfd.init)
            return None
        else:
            raise self.error("dial", _errno_error(err), "connect")
        self.syscall("dial", "", pfd.init)
        if deadline is not None:
            pfd.set_deadline(deadline, read=False, write=True)
        while True:
            try:
                pfd.wait_write()
            except OSError as e:
                raise self.error("dial", e) from e  # the deadline, or closed meanwhile
            nerr = self.syscall("dial", "getsockopt", hook_unix.getsockopt_int_func, sock,
                                socket.SOL_SOCKET, socket.SO_ERROR)
            if nerr in _CONNECT_PENDING:
                continue
            if nerr == errno.EISCONN:
                break
            if nerr == 0:
                try:
                    rsa = sock.getpeername()
                except OSError as e:
                    if e.errno == errno.ENOTCONN:
                        continue  # a spurious wakeup: not connected yet
                    raise self.error("dial", e, "getpeername") from e
                if deadline is not None:
                    pfd.set_deadline(None, read=False, write=True)
                return rsa
            raise self.error("dial", _errno_error(nerr), "connect")
        if deadline is not None:
            pfd.set_deadline(None, read=False, write=True)
        return None

    # --- accept ------------------------------------------------------------------------

    def accept(self) -> NetFD:
        """accept returns the netFD of the next connection, registered with the netpoller.

        Failures are Go's: ``accept tcp 127.0.0.1:80: accept4: too many open files``.
        """
        try:
            d, rsa = self.pfd.accept()
        except OSError as e:
            raise self.error("accept", e, "accept4") from e
        try:
            s = socket.socket(self.family, self.sotype | socket.SOCK_NONBLOCK, 0, d)
        except BaseException as e:
            os.close(d)
            if isinstance(e, OSError):
                raise self.error("accept", e) from e
            raise
        nfd = NetFD(s, self.family, self.sotype, self.net)
        try:
            nfd.init()
            # A listener bound to one address gives every connection that local
            # address: share it (no getsockname, no Addr per connection). A
            # wildcard listener's connections each ask the kernel.
            laddr = self.laddr
            if laddr is None or laddr.host in _WILDCARDS:
                laddr = nfd.sockname()
            nfd.set_addr(laddr, nfd.addr_of(rsa))
        except BaseException as e:
            nfd.pfd.force_close()
            if isinstance(e, OSError):
                raise self.error("accept", e) from e
            raise
        return nfd


def _errno_error(code: int) -> OSError:
    return OSError(code, os.strerror(code))  # OSError picks the errno's subclass
