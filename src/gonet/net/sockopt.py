"""Socket options (Go's ``net/sockopt_linux.go``, ``sockoptip_*.go``, ``tcpsockopt_unix.go``)."""

from __future__ import annotations

import socket

__all__ = [
    "DEFAULT_TCP_KEEPALIVE",
    "listener_backlog",
    "set_default_listener_sockopts",
    "set_default_sockopts",
    "set_keepalive",
    "set_no_delay",
]

#: Go's defaultTCPKeepAlive: keep-alive probes start after 15 s idle, every 15 s.
DEFAULT_TCP_KEEPALIVE = 15.0

_backlog: int | None = None


def listener_backlog() -> int:
    """listener_backlog is the system's ``somaxconn`` (Go's ``maxListenerBacklog``), capped at 65535."""
    global _backlog
    if _backlog is None:
        try:
            with open("/proc/sys/net/core/somaxconn") as f:
                n = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            n = socket.SOMAXCONN
        _backlog = min(max(n, 1), (1 << 16) - 1)
    return _backlog


def set_default_sockopts(sock: socket.socket, family: int, sotype: int, ipv6only: bool) -> None:
    """set_default_sockopts applies Go's per-socket defaults (IPV6_V6ONLY, SO_BROADCAST)."""
    if family == socket.AF_INET6 and sotype != socket.SOCK_RAW:
        # Dual-stack unless the network was tcp6/udp6, as Go decides in favoriteAddrFamily.
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(ipv6only))
    if sotype in (socket.SOCK_DGRAM, socket.SOCK_RAW) and family != socket.AF_UNIX:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)


def set_default_listener_sockopts(sock: socket.socket) -> None:
    """set_default_listener_sockopts sets ``SO_REUSEADDR``, so a port in TIME_WAIT can be listened on."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)


def set_no_delay(sock: socket.socket, flag: bool) -> None:
    """set_no_delay sets ``TCP_NODELAY`` (Go turns it on for every TCP conn)."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(flag))


def set_keepalive(sock: socket.socket, enable: bool, idle: float | None = None,
                  interval: float | None = None, count: int | None = None) -> None:
    """set_keepalive turns TCP keep-alive on or off and sets its idle time, interval and count.

    Times are seconds, rounded up to whole seconds as the kernel wants them.
    """
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, int(enable))
    if not enable:
        return
    if idle is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, _secs(idle))
    if interval is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, _secs(interval))
    if count is not None:
        if count < 1:
            raise ValueError(f"keep-alive count must be positive, not {count}")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, count)


def _secs(t: float) -> int:
    if t <= 0:
        raise ValueError(f"keep-alive time must be positive, not {t}")
    return max(1, int(-(-t // 1)))
