"""Test seams of the net layer (Go's ``net/hook_unix.go``).

Go's socketFunc, connectFunc, listenFunc and getsockoptIntFunc.

Production code calls these module attributes; ``gonet.testing.socktest``
swaps them to inject faults at socket creation, connect, listen and
``SO_ERROR`` reads.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

__all__ = ["connect_func", "getsockopt_int_func", "listen_func", "socket_func"]


def _connect(sock: socket.socket, addr: Any) -> int:
    # connect_ex reports the errno as an int: EINPROGRESS is the normal case here.
    return sock.connect_ex(addr)


def _listen(sock: socket.socket, backlog: int) -> None:
    sock.listen(backlog)


def _getsockopt_int(sock: socket.socket, level: int, opt: int) -> int:
    return sock.getsockopt(level, opt)


#: socket_func creates a socket (``socket(2)``).
socket_func: Callable[[int, int, int], socket.socket] = socket.socket
#: connect_func starts a connect and returns its errno (0, EINPROGRESS, ...).
connect_func: Callable[[socket.socket, Any], int] = _connect
#: listen_func marks a socket listening.
listen_func: Callable[[socket.socket, int], None] = _listen
#: getsockopt_int_func reads an integer socket option (``SO_ERROR`` after connect).
getsockopt_int_func: Callable[[socket.socket, int, int], int] = _getsockopt_int
