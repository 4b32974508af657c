"""Listener: accepting connections (Go's ``net/tcpsock.go`` TCPListener, ``unixsock.go`` UnixListener).

:meth:`Listener.serve` is the loop every server writes: accept, and run a
handler per connection in its own goroutine. On descriptor exhaustion
(``EMFILE``/``ENFILE``) it backs off like Go's ``net/http`` server (5 ms,
doubling to 1 s) instead of spinning: with edge-triggered epoll the pending
connection stays in the backlog, and the retry after the sleep accepts it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._poll.fd import ClosedError
from .._runtime.proc import go, sleep
from .conn import Conn, check_deadline
from .errors import RESOURCE_ERRNOS
from .tcpsock import new_tcp_conn

if TYPE_CHECKING:
    from .addr import Addr
    from .fd_unix import NetFD

__all__ = ["Listener"]

log = logging.getLogger("gonet")

#: Back-off of serve() on EMFILE/ENFILE (Go's net/http: 5 ms doubling to 1 s).
BACKOFF_MIN = 0.005
BACKOFF_MAX = 1.0


class Listener:
    """Listener accepts stream connections (TCP, unix); create one with :func:`gonet.listen`.

    Usable as a context manager (closes on exit).
    """

    __slots__ = ("__weakref__", "_fd", "_keepalive", "_tcp")

    def __init__(self, fd: NetFD, keepalive: float | None) -> None:
        # keepalive: the probe period of accepted TCP conns (tcpsock.keepalive_period).
        self._fd = fd
        self._keepalive = keepalive
        self._tcp = fd.family in (socket.AF_INET, socket.AF_INET6)

    def __repr__(self) -> str:
        return f"<gonet.Listener {self._fd.net} {self._fd.laddr} fd={self._fd.pfd.sysfd}>"

    @property
    def addr(self) -> Addr | None:
        """addr is the address the listener is bound to (with the real port for port 0)."""
        return self._fd.laddr

    def accept(self) -> Conn:
        """accept returns the next connection, parking while none is pending.

        Raises ``ClosedError`` once the listener is closed (also when closed
        while parked), ``DeadlineExceededError`` once its deadline has passed
        (even if connections are pending), and ``OSError`` (``EMFILE`` ...).
        """
        nfd = self._fd.accept()
        if self._tcp:
            return new_tcp_conn(nfd, self._keepalive)
        return Conn(nfd)

    def serve(self, handler: Callable[[Conn], Any]) -> None:
        """serve accepts until the listener is closed, running ``handler(conn)`` per connection.

        Each handler runs in a new goroutine, and its conn is closed when it
        returns. On ``EMFILE``/``ENFILE`` it backs off (5 ms doubling to 1 s)
        instead of spinning. Returns when the listener is closed; other accept
        errors (a passed deadline ...) are raised.
        """
        delay = 0.0
        while True:
            try:
                conn = self.accept()
            except ClosedError:
                return
            except OSError as e:
                if e.errno in RESOURCE_ERRNOS:
                    delay = BACKOFF_MIN if delay == 0.0 else min(delay * 2, BACKOFF_MAX)
                    log.warning("gonet: accept error: %s; retrying in %.0f ms", e, delay * 1000)
                    sleep(delay)
                    continue
                raise
            delay = 0.0
            go(_serve_conn, handler, conn)

    def close(self) -> None:
        """close stops listening; idempotent.

        A goroutine parked in ``accept`` wakes with ``ClosedError``. Returns
        once the socket is really closed, so the address can be listened on
        again at once. A unix listener removes its socket file.
        """
        try:
            self._fd.close()  # Go's UnixListener.close: the socket file is removed first, once
        except ClosedError:
            pass

    def set_deadline(self, t: float | None) -> None:
        """set_deadline sets the time after which ``accept`` fails with ``DeadlineExceededError``.

        ``t`` is an absolute ``time.monotonic()`` time or ``None``; it applies
        to a goroutine already parked in ``accept`` too.
        """
        self._fd.set_deadline(check_deadline(t), True, True)

    def fileno(self) -> int:
        """fileno is the listening socket's descriptor (-1 once closed)."""
        return self._fd.pfd.sysfd

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _serve_conn(handler: Callable[[Conn], Any], conn: Conn) -> None:
    try:
        handler(conn)
    finally:
        conn.close()
