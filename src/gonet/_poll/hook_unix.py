"""Test seams of the poll layer (Go's ``internal/poll/hook_unix.go``: CloseFunc, AcceptFunc).

Production code calls these module attributes; ``gonet.testing.socktest``
swaps them to inject faults (``EMFILE`` from accept, ``ECONNABORTED``,
``EINTR`` ...). ``wrap_socket``, when set, wraps every socket an FD is created
with, so reads and writes can be faulted too; it is ``None`` in production,
costing nothing per operation.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from .sock_cloexec import Acceptor

__all__ = ["accept_func", "close_func", "wrap_socket"]


def _close(sock: socket.socket) -> None:
    sock.close()


def _accept(acceptor: Acceptor, sock: socket.socket) -> tuple[int, Any]:
    return acceptor.accept(sock)


#: close_func closes a socket (close(2)).
close_func: Callable[[socket.socket], None] = _close
#: accept_func accepts one connection: ``(fd, addr)`` or an ``OSError``.
accept_func: Callable[[Acceptor, socket.socket], tuple[int, Any]] = _accept
#: wrap_socket, if set, wraps each socket given to a new FD (fault injection).
wrap_socket: Callable[[socket.socket], Any] | None = None
