"""Addresses: Go's address syntax, parsed without I/O.

Ports Go's ``net/ipsock.go``, ``tcpsock.go`` and ``unixsock.go`` address handling.

Pure logic, testable without sockets: :func:`split_host_port` and
:func:`join_host_port` follow Go's ``SplitHostPort``/``JoinHostPort``
exactly; :func:`parse_network` is Go's ``parseNetwork``; :class:`Addr` is
the one address type of every network (Go's ``TCPAddr``, ``UDPAddr`` and
``UnixAddr`` share its shape here).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from sys import intern
from typing import Any

__all__ = [
    "DATAGRAM_NETWORKS",
    "IP_NETWORKS",
    "STREAM_NETWORKS",
    "UNIX_NETWORKS",
    "Addr",
    "AddrError",
    "addr_from_sockaddr",
    "is_ip_literal",
    "join_host_port",
    "parse_network",
    "split_host_port",
    "unix_sockaddr",
]

IP_NETWORKS = frozenset({"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"})
UNIX_NETWORKS = frozenset({"unix", "unixgram", "unixpacket"})
STREAM_NETWORKS = frozenset({"tcp", "tcp4", "tcp6", "unix", "unixpacket"})
DATAGRAM_NETWORKS = frozenset({"udp", "udp4", "udp6", "unixgram"})


class AddrError(ValueError):
    """AddrError is a malformed address (Go's ``*net.AddrError``); a ``ValueError``."""

    def __init__(self, err: str, addr: str) -> None:
        super().__init__(f"address {addr}: {err}" if addr else err)
        self.err = err
        self.addr = addr


@dataclass(frozen=True, slots=True)
class Addr:
    """Addr is a network endpoint: ``network``, ``host`` and ``port`` (``None`` for unix).

    ``host`` is an IP literal without brackets (IPv4-mapped IPv6 addresses are
    shown as IPv4, as Go shows them) or a unix socket path (``@name`` for the
    abstract namespace). ``str()`` gives ``127.0.0.1:8080``, ``[::1]:8080`` or
    the path.
    """

    network: str
    host: str
    port: int | None = None

    def __str__(self) -> str:
        if self.port is None:
            return self.host
        return join_host_port(self.host, str(self.port))


def parse_network(network: str) -> str:
    """parse_network checks ``network`` and returns it; ``ValueError`` if unknown."""
    if not isinstance(network, str):
        raise TypeError(f"network must be a str, not {type(network).__name__}")
    if network in IP_NETWORKS or network in UNIX_NETWORKS:
        return network
    raise ValueError(f"unknown network {network!r}")


def split_host_port(hostport: str) -> tuple[str, str]:
    """split_host_port splits ``host:port``, ``[host]:port`` or ``[host%zone]:port``.

    Go's ``net.SplitHostPort``: a literal IPv6 host must be in brackets.
    Raises :class:`AddrError` (a ``ValueError``) naming the address.
    """
    missing_port = "missing port in address"
    too_many_colons = "too many colons in address"
    i = hostport.rfind(":")
    if i < 0:
        raise AddrError(missing_port, hostport)
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise AddrError("missing ']' in address", hostport)
        if end + 1 == len(hostport):
            raise AddrError(missing_port, hostport)
        if end + 1 != i:
            if hostport[end + 1] == ":":
                raise AddrError(too_many_colons, hostport)
            raise AddrError(missing_port, hostport)
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:i]
        if ":" in host:
            raise AddrError(too_many_colons, hostport)
        j, k = 0, 0
    if "[" in hostport[j:]:
        raise AddrError("unexpected '[' in address", hostport)
    if "]" in hostport[k:]:
        raise AddrError("unexpected ']' in address", hostport)
    return host, hostport[i + 1:]


def join_host_port(host: str, port: str) -> str:
    """join_host_port is Go's ``net.JoinHostPort``: brackets around hosts containing ``:``."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def parse_port(service: str) -> int | None:
    """parse_port returns a numeric port, or ``None`` if ``service`` is a name to look up.

    Go's ``parsePort``: an optional sign, then decimal digits. Raises
    :class:`AddrError` for a number outside 0-65535, naming the port as Go's
    ``LookupPort`` does (``address 99999: invalid port``). An empty service
    is port 0, as in Go.
    """
    if service == "":
        return 0
    digits = service[1:] if service[0] in "+-" else service
    if not (digits.isascii() and digits.isdigit()):
        return None
    port = int(digits)
    if service[0] == "-":
        port = -port
    if not 0 <= port <= 65535:
        raise AddrError("invalid port", service)
    return port


def is_ip_literal(host: str) -> int:
    """is_ip_literal returns the family of an IP literal host (0 if it is a name)."""
    h = host.split("%", 1)[0]
    try:
        socket.inet_pton(socket.AF_INET, h)
        return socket.AF_INET
    except OSError:
        pass
    try:
        socket.inet_pton(socket.AF_INET6, h)
        return socket.AF_INET6
    except OSError:
        return 0


def _unmap(host: str) -> str:
    # Go prints IPv4-mapped IPv6 addresses (::ffff:1.2.3.4) as plain IPv4.
    if host.startswith("::ffff:") and "." in host:
        return host[7:]
    return host


def addr_network(network: str) -> str:
    """addr_network is the network an address reports: ``tcp``/``udp`` for every IP
    flavour (Go's ``TCPAddr.Network()``), the unix network name otherwise."""
    if network.startswith("tcp"):
        return "tcp"
    if network.startswith("udp"):
        return "udp"
    return network


def addr_from_sockaddr(network: str, family: int, sa: Any) -> Addr | None:
    """addr_from_sockaddr converts a Python socket address to an :class:`Addr`.

    An unnamed unix socket is ``@``, as Go shows it.
    """
    network = addr_network(network)
    if family == socket.AF_UNIX:
        if isinstance(sa, bytes):
            if sa[:1] == b"\0":
                name = "@" + sa[1:].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            else:
                name = os.fsdecode(sa)
        else:
            name = sa
        return Addr(network, name or "@", None)
    if family == socket.AF_INET6:
        host = sa[0]
        scope = sa[3] if len(sa) > 3 else 0
        if scope and "%" not in host:
            try:
                host = f"{host}%{socket.if_indextoname(scope)}"
            except OSError:
                host = f"{host}%{scope}"
        return Addr(network, intern(_unmap(host)), sa[1])
    return Addr(network, intern(sa[0]), sa[1])


def unix_sockaddr(path: str) -> str | bytes:
    """unix_sockaddr maps ``@name`` to the abstract-namespace address ``\\0name``."""
    if path.startswith("@"):
        return b"\0" + path[1:].encode("utf-8", "surrogateescape")
    return path
