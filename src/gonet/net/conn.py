"""Conn: a connected socket (Go's ``net/net.go`` ``conn``, ``tcpsock.go``, ``unixsock.go``, ``udpsock.go``).

Every method is a thin shell over the netFD, which raises its failures with
Go's ``op net local->remote: err`` message (the one route: :mod:`.errors`).
The hot methods (``read``, ``read_into``, ``write``) call the poll FD
directly — one Python frame between the user and the syscall loop — and pay
for error formatting only when there is an error (the poll FD hands it to the
netFD's ``error``).
"""

from __future__ import annotations

import socket
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._poll.fd import ClosedError
from .._poll.fd_unix import MAX_RW
from .._types import Buffer, WritableBuffer
from .addr import Addr
from .args import check_readable, check_size, check_writable
from .sockopt import set_keepalive, set_no_delay

if TYPE_CHECKING:
    from .fd_unix import NetFD

__all__ = ["Conn", "check_deadline"]

#: Compiled, a C global declared in conn.pxd (an int object, compared with the
#: caller's int): read without a module-dictionary lookup per read.
_MAX_RW: int = MAX_RW


def check_deadline(t: float | None) -> float | None:
    """check_deadline validates a deadline: an absolute ``time.monotonic()`` time or ``None``."""
    if t is None:
        return None
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise TypeError(f"deadline must be a time.monotonic() time (float) or None, "
                        f"not {type(t).__name__}")
    d = float(t)
    if d != d:
        raise ValueError("deadline must be a time, not NaN")
    return d


class Conn:
    """Conn is a stream or datagram connection: TCP, unix, or a dialed UDP socket.

    Create one with :func:`gonet.dial` or :meth:`Listener.accept`. All
    methods park only the calling goroutine. Usable as a context manager
    (closes on exit).
    """

    __slots__ = ("__weakref__", "_fd", "_pfd")

    def __init__(self, fd: NetFD) -> None:
        self._fd = fd
        self._pfd = fd.pfd

    def __repr__(self) -> str:
        fd = self._fd
        return f"<gonet.Conn {fd.net} {fd.laddr}->{fd.raddr} fd={self._pfd.sysfd}>"

    # --- I/O ---------------------------------------------------------------------------

    def read(self, n: int = 65536) -> bytes:
        """read returns up to ``n`` bytes, parking until at least one is available.

        Returns ``b""`` at EOF. On a datagram conn it returns one datagram,
        truncated to ``n`` bytes. ``n`` is an int >= 0 (``ValueError`` if
        negative, ``TypeError`` if not an int; more than 1 GiB reads at most
        1 GiB). Raises ``ClosedError`` if the conn is closed
        (before or while parked), ``DeadlineExceededError`` once the read
        deadline has passed, and the errno's ``OSError`` subclass otherwise
        (``ConnectionResetError`` ...).
        """
        if type(n) is not int or n < 0 or n > _MAX_RW:
            n = check_size("read", n)  # TypeError / ValueError, the same in both builds
        return self._pfd.read(n)  # errors come formatted by the netFD (poll.FD.error)

    def read_into(self, buffer: WritableBuffer) -> int:
        """read_into is :meth:`read` into a writable buffer; returns the byte count, 0 at EOF.

        ``TypeError`` if ``buffer`` is not a writable, C-contiguous bytes-like
        object (``bytes`` is read-only).
        """
        if type(buffer) is not bytearray:
            buffer = check_writable("read_into", buffer)
        return self._pfd.read_into(buffer)  # errors come formatted by the netFD (poll.FD.error)

    def write(self, data: Buffer) -> int:
        """write writes all of ``data`` and returns ``len(data)``.

        Loops over partial writes, parking while the socket buffer is full.
        On a datagram conn each call sends one datagram (``b""`` sends an
        empty one). Every exception it raises has ``written``: the bytes
        already written (``ClosedError``, ``DeadlineExceededError``,
        ``BrokenPipeError``, ``ConnectionResetError`` ...). ``TypeError`` if
        ``data`` is not a C-contiguous bytes-like object.
        """
        if type(data) is not bytes and type(data) is not bytearray:
            data = check_readable("write", data)
        return self._pfd.write(data)  # errors come formatted by the netFD (poll.FD.error)

    # --- close -------------------------------------------------------------------------

    def close(self) -> None:
        """close closes the conn; idempotent.

        Goroutines parked in ``read``/``write`` on it wake with
        ``ClosedError``; the descriptor is released once every in-flight
        operation has returned, and ``close`` returns after that.
        """
        try:
            self._fd.close()
        except ClosedError:
            pass

    def close_write(self) -> None:
        """close_write shuts down the writing side: the peer reads EOF, this side can still read."""
        self._fd.shutdown(socket.SHUT_WR)

    def close_read(self) -> None:
        """close_read shuts down the reading side; this side can still write."""
        self._fd.shutdown(socket.SHUT_RD)

    def closed(self) -> bool:
        """closed reports whether ``close()`` has been called."""
        return self._pfd.fdmu.closed

    # --- addresses and options -----------------------------------------------------------

    @property
    def local_addr(self) -> Addr | None:
        """local_addr is this end's address."""
        return self._fd.laddr

    @property
    def remote_addr(self) -> Addr | None:
        """remote_addr is the peer's address; an unnamed unix peer is ``@``, as Go names it."""
        return self._fd.raddr

    @property
    def network(self) -> str:
        """network is the network name this conn was made on (``tcp``, ``unix``, ``udp`` ...)."""
        return self._fd.net

    def set_deadline(self, t: float | None) -> None:
        """set_deadline sets the read and write deadlines (see :meth:`set_read_deadline`)."""
        self._set_deadline(t, True, True)

    def set_read_deadline(self, t: float | None) -> None:
        """set_read_deadline sets the time after which reads fail with ``DeadlineExceededError``.

        ``t`` is an absolute ``time.monotonic()`` time, or ``None`` for none.
        It applies to a read already parked too: moving it earlier or later
        takes effect at once. Once it has passed, reads fail immediately
        without touching data, until a new deadline is set.
        """
        self._set_deadline(t, True, False)

    def set_write_deadline(self, t: float | None) -> None:
        """set_write_deadline is :meth:`set_read_deadline` for writes."""
        self._set_deadline(t, False, True)

    def _set_deadline(self, t: float | None, read: bool, write: bool) -> None:
        self._fd.set_deadline(check_deadline(t), read, write)

    def set_nodelay(self, flag: bool = True) -> None:
        """set_nodelay turns Nagle's algorithm off (``True``, the default for TCP) or on."""
        self._set_option("set_nodelay", set_no_delay, flag)

    def set_keepalive(self, enable: bool = True, *, idle: float | None = None,
                      interval: float | None = None, count: int | None = None) -> None:
        """set_keepalive turns TCP keep-alive on or off, with optional idle time, interval and count.

        Like Go's ``KeepAliveConfig``; times are in seconds.
        """
        self._set_option("set_keepalive", set_keepalive, enable, idle, interval, count)

    def _set_option(self, method: str, setter: Any, *args: Any) -> None:
        fd = self._fd
        if fd.family not in (socket.AF_INET, socket.AF_INET6) or fd.sotype != socket.SOCK_STREAM:
            raise ValueError(f"{method}: not a TCP connection ({fd.net})")
        fd.set_option(setter, *args)

    def fileno(self) -> int:
        """fileno is the socket's descriptor (-1 once closed)."""
        return self._pfd.sysfd

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


