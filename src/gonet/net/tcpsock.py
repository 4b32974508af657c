"""newTCPConn: the one place a connected TCP socket becomes a :class:`Conn` (Go's ``net/tcpsock.go``).

Go sets up every TCP conn — dialed (``sysDialer.doDialTCP``) or accepted
(``TCPListener.accept``) — in ``newTCPConn``: ``TCP_NODELAY`` on, and
keep-alive probes unless they were turned off. gonet does the same, here
only: :func:`gonet.dial`, :meth:`Listener.accept` and the file listener's
accepted conns all come through :func:`new_tcp_conn`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conn import Conn
from .sockopt import DEFAULT_TCP_KEEPALIVE, set_keepalive, set_no_delay

if TYPE_CHECKING:
    from .fd_unix import NetFD

__all__ = ["keepalive_period", "new_tcp_conn"]


def keepalive_period(keepalive: float | None) -> float | None:
    """keepalive_period is the probe interval for a ``keepalive`` argument, or None for none.

    As Go reads ``Dialer.KeepAlive``/``ListenConfig.KeepAlive``: negative (or
    ``None``) turns probes off, zero means the 15 s default.
    """
    if keepalive is None or keepalive < 0:
        return None
    return keepalive or DEFAULT_TCP_KEEPALIVE


def new_tcp_conn(fd: NetFD, keepalive: float | None) -> Conn:
    """new_tcp_conn is Go's ``newTCPConn``: a Conn over a connected TCP socket.

    Turns ``TCP_NODELAY`` on and, when ``keepalive`` (a period from
    :func:`keepalive_period`) is not None, keep-alive probes every
    ``keepalive`` seconds. Failures are ignored, as Go ignores them: the peer
    may already be gone, and the first read or write will say so.
    """
    sock = fd.pfd.sock
    try:
        set_no_delay(sock, True)
        if keepalive is not None:
            set_keepalive(sock, True, keepalive, keepalive)
    except OSError:
        pass
    return Conn(fd)
