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
from typing import Any

from .._poll.fd_unix import FD
from . import hook_unix
from .addr import Addr, addr_from_sockaddr
from .errors import op_error
from .unixsock import SocketFile

__all__ = ["NetFD"]

_CONNECT_PENDING = frozenset({errno.EINPROGRESS, errno.EALREADY, errno.EINTR})
_WILDCARDS = frozenset({"0.0.0.0", "::"})


class NetFD:
    """NetFD is a socket in the net layer: the poll FD plus network, family, type and addresses."""

    __slots__ = ("family", "laddr", "net", "pfd", "raddr", "socket_file", "sotype")

    def __init__(self, sock: socket.socket, family: int, sotype: int, net: str) -> None:
        self.pfd = FD(sock, is_stream=sotype == socket.SOCK_STREAM)
        self.pfd.owner = self  # poll.FD.error formats read/write errors through wrap()
        self.family = family
        self.sotype = sotype
        self.net = net
        self.laddr: Addr | None = None
        self.raddr: Addr | None = None
        #: The unix socket file this socket's bind created: close removes it (unixsock.py).
        self.socket_file: SocketFile | None = None

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

    def wrap(self, op: str, err: BaseException, syscall: str = "") -> BaseException:
        """wrap returns ``err`` with Go's ``op net local->remote: ...`` message.

        A read or write names its system call before the errno text, as Go's
        ``netFD.Read``/``Write`` do (``read: connection reset by peer``).
        """
        if not syscall and (op == "read" or op == "write"):
            syscall = op
        if self.raddr is not None:
            return op_error(op, self.net, self.laddr, self.raddr, err, syscall)
        return op_error(op, self.net, None, self.laddr, err, syscall)

    def close(self) -> None:
        """close closes the socket (see poll.FD.close); ``ClosedError`` if already closed.

        A unix socket file its bind created is removed first, on the first
        close only (Go's ``UnixListener.close``: unlink once, then close), and
        not by a forked child's copy of the socket.
        """
        sf = self.socket_file
        if sf is not None:
            self.socket_file = None
            if not self.pfd.rt.abandoned:
                sf.remove()
        self.pfd.close()

    # --- connect -----------------------------------------------------------------------

    def connect(self, ra: Any, deadline: float | None) -> Any:
        """connect connects to socket address ``ra``; returns the peer's socket address.

        Parks until the connection is established; ``deadline`` (clock time)
        bounds the wait with ``DeadlineExceededError``.
        """
        pfd = self.pfd
        sock = pfd.sock
        try:
            err = hook_unix.connect_func(sock, ra)
        except OSError as e:
            if type(e) is not OSError or e.errno is not None:
                raise
            # Python's own check of the address (a unix path over 108 bytes ...);
            # the kernel, and so Go, reports it as EINVAL.
            err = errno.EINVAL
        if err in _CONNECT_PENDING:
            pass
        elif err in (0, errno.EISCONN):
            pfd.init()
            return None
        else:
            raise _connect_error(err)
        pfd.init()
        if deadline is not None:
            pfd.set_deadline(deadline, read=False, write=True)
        while True:
            pfd.wait_write()
            try:
                nerr = hook_unix.getsockopt_int_func(sock, socket.SOL_SOCKET, socket.SO_ERROR)
            except OSError as e:
                e.syscall = "getsockopt"  # type: ignore[attr-defined]
                raise
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
                    raise
                if deadline is not None:
                    pfd.set_deadline(None, read=False, write=True)
                return rsa
            raise _connect_error(nerr)
        if deadline is not None:
            pfd.set_deadline(None, read=False, write=True)
        return None

    # --- accept ------------------------------------------------------------------------

    def accept(self) -> NetFD:
        """accept returns the netFD of the next connection, registered with the netpoller."""
        d, rsa = self.pfd.accept()
        try:
            s = socket.socket(self.family, self.sotype | socket.SOCK_NONBLOCK, 0, d)
        except BaseException:
            os.close(d)
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
        except BaseException:
            nfd.pfd.force_close()
            raise
        return nfd


def _connect_error(code: int) -> OSError:
    e = OSError(code, os.strerror(code))
    e.syscall = "connect"  # type: ignore[attr-defined]
    return e
