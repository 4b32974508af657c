"""listen, dial and listen_packet (Go's ``net/dial.go``, ``tcpsock_posix.go``, ``ipsock_posix.go``).

The socket family follows Go's ``favoriteAddrFamily``: ``tcp4``/``udp4``
are IPv4, ``tcp6``/``udp6`` IPv6-only; a ``tcp``/``udp`` listener on a
wildcard address (``:port``, ``0.0.0.0``, ``[::]``) is one dual-stack IPv6
socket when the host supports it; otherwise the address's own family.

Dialing tries the resolved addresses in order, each with a share of the
remaining timeout (Go's ``dialSerial`` and ``partialDeadline``), and, for TCP,
retries a connection that connected to itself (Go's ``selfConnect``).
"""

from __future__ import annotations

import errno
import os
import socket
from typing import TYPE_CHECKING, Any

from .._poll.fd import err_timeout
from .._runtime.g import getsched
from .addr import STREAM_NETWORKS, UNIX_NETWORKS, parse_network
from .conn import Conn
from .errors import op_error
from .listener import Listener
from .lookup import Endpoint, resolve, supports_ipv6
from .packet import PacketConn
from .sock_posix import socket as new_socket
from .sockopt import DEFAULT_TCP_KEEPALIVE, listener_backlog
from .tcpsock import keepalive_period, new_tcp_conn

if TYPE_CHECKING:
    from .fd_unix import NetFD

__all__ = ["dial", "listen", "listen_packet"]

_UNSET: Any = object()

#: Go's saneMinimum: the least time a partial deadline gives one address.
_SANE_MINIMUM = 2.0


def _network(op: str, network: str) -> str:
    try:
        return parse_network(network)
    except ValueError:
        raise ValueError(f"{op} {network}: unknown network {network}") from None


def _sotype(network: str) -> int:
    if network in ("unixgram",) or network.startswith("udp"):
        return socket.SOCK_DGRAM
    if network == "unixpacket":
        return socket.SOCK_SEQPACKET
    return socket.SOCK_STREAM


def _listen_family(network: str, ep: Endpoint) -> tuple[int, bool, Any]:
    """Go's favoriteAddrFamily for listen: (family, ipv6only, sockaddr)."""
    last = network[-1]
    if last == "4":
        return socket.AF_INET, False, ep.sockaddr
    if last == "6":
        return socket.AF_INET6, True, ep.sockaddr
    if ep.family != socket.AF_UNIX and ep.wildcard() and supports_ipv6():
        return socket.AF_INET6, False, ("::", ep.sockaddr[1], 0, 0)
    return ep.family, False, ep.sockaddr


def listen(network: str, address: Any, *, backlog: int | None = None, reuse_port: bool = False,
           keepalive: float | None = DEFAULT_TCP_KEEPALIVE) -> Listener:
    """listen announces on a local address; returns a :class:`Listener`.

    ``network`` is ``tcp``, ``tcp4``, ``tcp6``, ``unix`` or ``unixpacket``;
    ``address`` uses Go's syntax (``host:port``, ``:port``, ``[::1]:port``,
    port 0 for an ephemeral port, a path or ``@abstract`` for unix). The
    socket is non-blocking and close-on-exec, registered once with the
    netpoller; TCP listeners set ``SO_REUSEADDR``; ``backlog`` defaults to the
    system's ``somaxconn``. Accepted TCP conns get ``TCP_NODELAY`` and, unless
    ``keepalive`` is ``None`` or negative, keep-alive probes every
    ``keepalive`` seconds (Go's 15 s default). Raises ``ValueError`` for an
    unknown network or a malformed address, and the ``OSError`` of the failed
    call (``EADDRINUSE`` ...) with Go's message.
    """
    net = _network("listen", network)
    if net not in STREAM_NETWORKS:
        raise ValueError(f"listen {network}: {network} is a datagram network; use listen_packet")
    ep = resolve("listen", net, address, listen=True)[0]
    family, ipv6only, sa = _listen_family(net, ep)
    if backlog is None:
        backlog = listener_backlog()
    fd = new_socket(net, family, _sotype(net), ipv6only, sa, None, ep.addr, backlog=backlog,
                    reuse_port=reuse_port)
    return Listener(fd, keepalive_period(keepalive) if family != socket.AF_UNIX else None)


def listen_packet(network: str, address: Any, *, reuse_port: bool = False) -> PacketConn:
    """listen_packet opens a datagram socket on a local address; returns a :class:`PacketConn`.

    ``network`` is ``udp``, ``udp4``, ``udp6`` or ``unixgram``. Errors as for :func:`listen`.
    """
    net = _network("listen", network)
    if net in STREAM_NETWORKS:
        raise ValueError(f"listen {network}: {network} is a stream network; use listen")
    ep = resolve("listen", net, address, listen=True)[0]
    family, ipv6only, sa = _listen_family(net, ep)
    fd = new_socket(net, family, _sotype(net), ipv6only, sa, None, ep.addr, reuse_port=reuse_port)
    return PacketConn(fd)


def dial(network: str, address: Any, *, timeout: float | None = None,
         keepalive: float | None = DEFAULT_TCP_KEEPALIVE) -> Conn:
    """dial connects to ``address`` on ``network``; returns a :class:`Conn`.

    ``network``: ``tcp``, ``tcp4``, ``tcp6``, ``unix``, ``unixpacket``,
    ``udp``, ``udp4``, ``udp6``, ``unixgram``. Host names are resolved off the
    runtime thread. Parks while connecting. Raises ``ConnectionRefusedError``
    when refused, ``DeadlineExceededError`` once ``timeout`` seconds have
    passed, ``ValueError`` for an unknown network or a malformed address. As
    in Go's ``DialTimeout``, ``timeout`` ``None`` or ``0`` means none and a
    negative one has passed already.
    """
    net = _network("dial", network)
    s = getsched()
    deadline = None
    if timeout:  # Go: zero means no timeout
        if timeout != timeout:
            raise ValueError("dial timeout must be a number of seconds, not NaN")
        deadline = s.clock.now() + timeout
    eps = resolve("dial", net, address, listen=False)
    first_err: BaseException | None = None
    sotype = _sotype(net)
    for i, ep in enumerate(eps):
        if deadline is not None:
            now = s.clock.now()
            if now >= deadline:
                if first_err is None:  # no address tried yet: Go's dialSerial, ctx done
                    first_err = op_error("dial", net, None, ep.addr, err_timeout())
                break
            part = _partial_deadline(now, deadline, len(eps) - i)
        else:
            part = None
        try:
            fd = _dial_one(net, ep, sotype, part)
        except OSError as e:  # formatted by the netFD: "dial tcp 127.0.0.1:1: connect: ..."
            if first_err is None:
                first_err = e
            continue
        if net.startswith("tcp"):
            return new_tcp_conn(fd, keepalive_period(keepalive))
        return Conn(fd)
    assert first_err is not None
    raise first_err  # Go's dialSerial returns the first address's error


def _dial_one(net: str, ep: Endpoint, sotype: int, deadline: float | None) -> NetFD:
    ipv6only = net.endswith("6")
    for _ in range(3):
        fd = new_socket(net, ep.family, sotype, ipv6only, None, ep.sockaddr, ep.addr,
                        deadline=deadline)
        # Go's selfConnect: a TCP dial to a local ephemeral port can connect to
        # itself (simultaneous open); close it and try again.
        if net in UNIX_NETWORKS or sotype != socket.SOCK_STREAM or fd.laddr != fd.raddr:
            return fd
        fd.close()
    # Connected to itself every time: no one listens there.
    refused = ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED))
    raise op_error("dial", net, None, ep.addr, refused, "connect")


def _partial_deadline(now: float, deadline: float, addrs_remaining: int) -> float:
    """Go's partialDeadline: split the time left among the addresses still to try."""
    time_remaining = deadline - now
    timeout = time_remaining / addrs_remaining
    if timeout < _SANE_MINIMUM:
        timeout = min(time_remaining, _SANE_MINIMUM)
    return now + timeout
