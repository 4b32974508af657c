"""gonet.net: the port of Go's ``net`` package (go1.22) — listen, dial, conns, addresses.

Layering: ``net`` → :mod:`gonet._poll` (poll.FD) → :mod:`gonet._runtime`
(pollDesc, netpoll, scheduler). Nothing here touches epoll directly.
"""

from .._poll.fd import ClosedError, DeadlineExceededError
from .addr import Addr, AddrError, join_host_port, split_host_port
from .conn import Conn
from .dial import dial, listen, listen_packet
from .file_unix import file_listener
from .listener import Listener
from .packet import PacketConn

__all__ = [
    "Addr",
    "AddrError",
    "ClosedError",
    "Conn",
    "DeadlineExceededError",
    "Listener",
    "PacketConn",
    "dial",
    "file_listener",
    "join_host_port",
    "listen",
    "listen_packet",
    "split_host_port",
]
