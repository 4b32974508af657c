"""Name resolution off the thread: ``getaddrinfo`` & co. through ``gonet.blocking()``.

The libc functions themselves run (on a worker thread), so results, errors
and ``/etc/hosts``/``nsswitch.conf`` semantics are exactly the standard
library's — unlike resolvers that reimplement DNS. Numeric hosts never leave
the thread (nothing would block). Lookups of one runtime are capped at
:data:`MAX_LOOKUPS` at a time, like Go's ``net`` package caps its cgo
lookups (``acquireThread`` in ``net/net.go``): a burst of slow lookups waits
for a slot instead of occupying every ``blocking()`` worker. The slots are
the runtime's ``"dns"`` group of ``blocking_capped`` — the same budget
``gonet.dial``'s own resolver (:mod:`gonet.net.lookup`) draws from.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from .._runtime.proc import blocking_capped
from ..net import lookup as _net_lookup
from ._g import current_g

__all__ = ["MAX_LOOKUPS", "PATCHES", "resolve_address"]

#: Concurrent lookups per runtime: gonet's own resolver's cap (one budget for both).
MAX_LOOKUPS = _net_lookup.MAX_LOOKUPS

_orig_getaddrinfo = socket.getaddrinfo
_orig_gethostbyname = socket.gethostbyname
_orig_gethostbyname_ex = socket.gethostbyname_ex
_orig_gethostbyaddr = socket.gethostbyaddr
_orig_getnameinfo = socket.getnameinfo

def _numeric(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        try:
            host = host.decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return True  # a type error: let the C function raise it at once
    if host == "" or host == "<broadcast>":
        return True
    addr = host.partition("%")[0]
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, addr)
            return True
        except (OSError, ValueError):
            pass
    return False


def _numeric_port(port: Any) -> bool:
    if port is None or isinstance(port, int):
        return True
    if isinstance(port, bytes):
        return port.isdigit()
    return isinstance(port, str) and port.isdigit()


def _lookup(fn: Callable[..., Any], *args: Any) -> Any:
    return blocking_capped("dns", MAX_LOOKUPS, fn, *args)


def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,
                flags: int = 0) -> list[tuple[Any, ...]]:
    """getaddrinfo is ``socket.getaddrinfo``; a goroutine resolves names off the thread."""
    if current_g() is None or (_numeric(host) and _numeric_port(port)):
        return _orig_getaddrinfo(host, port, family, type, proto, flags)
    return _lookup(_orig_getaddrinfo, host, port, family, type, proto, flags)  # type: ignore[no-any-return]


def gethostbyname(hostname: str) -> str:
    """gethostbyname is ``socket.gethostbyname``; a goroutine resolves names off the thread."""
    if current_g() is None or _numeric(hostname):
        return _orig_gethostbyname(hostname)
    return _lookup(_orig_gethostbyname, hostname)  # type: ignore[no-any-return]


def gethostbyname_ex(hostname: str) -> tuple[str, list[str], list[str]]:
    """gethostbyname_ex is ``socket.gethostbyname_ex``, off the thread in a goroutine."""
    if current_g() is None or _numeric(hostname):
        return _orig_gethostbyname_ex(hostname)
    return _lookup(_orig_gethostbyname_ex, hostname)  # type: ignore[no-any-return]


def gethostbyaddr(ip_address: str) -> tuple[str, list[str], list[str]]:
    """gethostbyaddr is ``socket.gethostbyaddr`` (a reverse lookup: always off the thread)."""
    if current_g() is None:
        return _orig_gethostbyaddr(ip_address)
    return _lookup(_orig_gethostbyaddr, ip_address)  # type: ignore[no-any-return]


def getnameinfo(sockaddr: tuple[Any, ...], flags: int) -> tuple[str, str]:
    """getnameinfo is ``socket.getnameinfo``; only numeric requests stay on the thread."""
    numeric = (flags & socket.NI_NUMERICHOST) and (flags & socket.NI_NUMERICSERV)
    if current_g() is None or numeric:
        return _orig_getnameinfo(sockaddr, flags)
    return _lookup(_orig_getnameinfo, sockaddr, flags)  # type: ignore[no-any-return]


def resolve_address(sock: socket.socket, address: Any) -> Any:
    """resolve_address resolves a host name in an IP address tuple through ``getaddrinfo``.

    CPython's C calls would resolve it on the thread; the patched
    ``socket.getaddrinfo`` runs it through ``gonet.blocking()``. Numeric
    hosts and other families pass through unchanged.
    """
    family = sock.family
    if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return address
    if len(address) < 2 or not isinstance(address[0], (str, bytes)):
        return address
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("idna")
    if host in ("", "<broadcast>") or _is_numeric(host, family):
        return address
    infos = socket.getaddrinfo(host, address[1], family, sock.type)
    sa = infos[0][4]
    if family == socket.AF_INET6 and len(address) == 4:
        return (sa[0], sa[1], address[2], address[3])
    return sa


def _is_numeric(host: str, family: int) -> bool:
    try:
        socket.inet_pton(family, host.partition("%")[0])
    except (OSError, ValueError):
        return False
    return True


#: (attribute of the socket module, replacement)
PATCHES: list[tuple[str, Any]] = [
    ("getaddrinfo", getaddrinfo), ("gethostbyname", gethostbyname),
    ("gethostbyname_ex", gethostbyname_ex), ("gethostbyaddr", gethostbyaddr),
    ("getnameinfo", getnameinfo),
]
