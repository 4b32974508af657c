"""Resolving addresses (Go's ``net/ipsock.go`` ``resolveAddrList`` and ``net/lookup.go``).

Host names and service names are looked up with ``getaddrinfo`` and
``getservbyname`` through :func:`gonet.blocking`, off the runtime thread, so a
slow resolver never stalls the other goroutines. At most ``MAX_LOOKUPS``
lookups run at once per runtime (the others park): a resolver that hangs
can hold that many worker threads, never the whole ``blocking()`` pool (Go
bounds its threads for cgo lookups the same way: ``acquireThread`` in
``net/net.go``). IP literals and numeric ports never touch the resolver.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

from .._runtime.proc import blocking_capped
from .addr import (
    UNIX_NETWORKS,
    Addr,
    AddrError,
    addr_network,
    is_ip_literal,
    parse_port,
    split_host_port,
    unix_sockaddr,
)
from .errors import addr_op_error, lookup_error

__all__ = ["MAX_LOOKUPS", "Endpoint", "resolve", "supports_ipv6"]

#: How many name lookups one runtime runs at once.
MAX_LOOKUPS = 8


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Endpoint is one resolved address: its family, the socket address and the ``Addr``."""

    family: int
    sockaddr: Any
    addr: Addr

    def wildcard(self) -> bool:
        """wildcard reports whether the host is unspecified (0.0.0.0, ::)."""
        return self.addr.host in ("0.0.0.0", "::")


_ipv6: bool | None = None


def supports_ipv6() -> bool:
    """supports_ipv6 probes once whether IPv6 sockets work (Go's ``supportsIPv4map`` probe)."""
    global _ipv6
    if _ipv6 is None:
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                s.bind(("::1", 0))
            _ipv6 = True
        except OSError:
            _ipv6 = False
    return _ipv6


def _family_filter(network: str) -> int:
    last = network[-1]
    if last == "4":
        return socket.AF_INET
    if last == "6":
        return socket.AF_INET6
    return socket.AF_UNSPEC


def _sockaddr(family: int, host: str, port: int) -> Any:
    if family == socket.AF_INET6:
        return (host, port, 0, 0)
    return (host, port)


def resolve(op: str, network: str, address: Any, *, listen: bool) -> list[Endpoint]:
    """resolve turns ``address`` into the endpoints to listen on or dial, in order.

    ``address`` is Go's ``host:port`` string (or a ``(host, port)`` tuple) for
    IP networks, a path (``@name``: abstract) for unix networks. Raises
    ``ValueError`` (:class:`AddrError`) for a malformed address and
    ``OSError`` (``socket.gaierror``) when a name does not resolve, with
    ``op`` in Go's message (``dial tcp: lookup NAME: no such host``).
    """
    try:
        return _resolve(network, address, listen)
    except AddrError as e:
        raise addr_op_error(op, network, e) from e
    except OSError as e:  # getaddrinfo: the host name did not resolve
        raise lookup_error(op, network, _lookup_name(address), e) from e


def _lookup_name(address: Any) -> str:
    """The host name of an address that reached getaddrinfo (so it is well-formed)."""
    if isinstance(address, tuple):
        return str(address[0])
    return split_host_port(address)[0]


def _unknown_port(proto: str, service: str) -> AddrError:
    # Go reports an unknown service as a failed lookup (net/lookup_unix.go,
    # lookupPortMap): "lookup tcp/foo: unknown port".
    e = AddrError("unknown port", f"{proto}/{service}")
    e.args = (f"lookup {proto}/{service}: unknown port",)
    return e


def _resolve(network: str, address: Any, listen: bool) -> list[Endpoint]:
    if network in UNIX_NETWORKS:
        path = os.fsdecode(address) if isinstance(address, (bytes, os.PathLike)) else address
        if not isinstance(path, str):
            raise AddrError("unix address must be a path", repr(address))
        if not path:
            raise AddrError("missing address", "")
        return [Endpoint(socket.AF_UNIX, unix_sockaddr(path), Addr(addr_network(network), path, None))]

    if isinstance(address, tuple):
        if len(address) != 2 or not isinstance(address[0], str) or \
                not isinstance(address[1], int) or isinstance(address[1], bool):
            raise AddrError("expected a (host, port) tuple of a str and an int", repr(address))
        host, port = str(address[0] or ""), address[1]
        shown = f"{host}:{port}"
        if not 0 <= port <= 65535:
            raise AddrError("invalid port", shown)
    elif isinstance(address, str):
        shown = address
        host, service = split_host_port(address)
        parsed = parse_port(service)
        if parsed is None:
            proto = "udp" if network.startswith("udp") else "tcp"
            try:
                parsed = blocking_capped("dns", MAX_LOOKUPS, socket.getservbyname, service, proto)
            except OSError:
                raise _unknown_port(proto, service) from None
        port = parsed
    else:
        raise AddrError(f"expected a 'host:port' str or a (host, port) tuple, not "
                        f"{type(address).__name__}", repr(address))

    want = _family_filter(network)
    net_name = addr_network(network)
    if host == "":
        if listen:
            # The wildcard. "tcp" listens dual-stack on [::] like Go; see Go's favoriteAddrFamily.
            if want == socket.AF_INET or (want == socket.AF_UNSPEC and not supports_ipv6()):
                return [Endpoint(socket.AF_INET, ("0.0.0.0", port), Addr(net_name, "0.0.0.0", port))]
            return [Endpoint(socket.AF_INET6, ("::", port, 0, 0), Addr(net_name, "::", port))]
        host = "::1" if want == socket.AF_INET6 else "127.0.0.1"

    fam = is_ip_literal(host)
    if fam:
        if want != socket.AF_UNSPEC and fam != want:
            raise AddrError("no suitable address found", shown)
        if fam == socket.AF_INET6 and "%" in host:
            info = socket.getaddrinfo(host, port, socket.AF_INET6, 0, 0, socket.AI_NUMERICHOST)
            sa = info[0][4]
            return [Endpoint(fam, sa, Addr(net_name, host, port))]
        return [Endpoint(fam, _sockaddr(fam, host, port), Addr(net_name, host, port))]

    sotype = socket.SOCK_DGRAM if network.startswith("udp") else socket.SOCK_STREAM
    infos = blocking_capped("dns", MAX_LOOKUPS, socket.getaddrinfo, host, port, want,
                            sotype)
    out: list[Endpoint] = []
    seen: set[tuple[int, str]] = set()
    for family, _, _, _, sa in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        key = (family, sa[0])
        if key in seen:
            continue
        seen.add(key)
        out.append(Endpoint(family, sa, Addr(net_name, sa[0], port)))
    if not out:
        raise AddrError("no suitable address found", shown)
    if listen and want == socket.AF_UNSPEC:
        # Go listens on the first IPv4 address of a name (addrs.first(isIPv4)).
        out.sort(key=lambda e: e.family != socket.AF_INET)
    return out
