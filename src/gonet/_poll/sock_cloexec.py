"""accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC (Go's ``internal/poll/sock_cloexec.go``).

Python's ``socket.accept()`` calls ``accept4(fd, ..., SOCK_CLOEXEC)`` only,
so every accepted socket would need a second syscall to become non-blocking.
Go asks the kernel for both flags in the one call; so do we, through libc.
The peer address comes back from the same call (Go's ``rsa``), decoded here
into the tuple shapes Python's socket module uses. Where libc has no
``accept4`` the fallback is ``accept()`` plus ``setblocking(False)``.
"""

from __future__ import annotations

import ctypes
import os
import socket
from sys import intern
from typing import Any

__all__ = ["Acceptor", "decode_sockaddr"]

SOCK_NONBLOCK = socket.SOCK_NONBLOCK
SOCK_CLOEXEC = socket.SOCK_CLOEXEC
_FLAGS = SOCK_NONBLOCK | SOCK_CLOEXEC
_SOCKADDR_SIZE = 128  # sizeof(struct sockaddr_storage)

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _accept4: Any = _libc.accept4
    _accept4.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    _accept4.restype = ctypes.c_int
except (OSError, AttributeError):  # pragma: no cover - non-glibc platforms
    _accept4 = None

_get_errno = ctypes.get_errno


def decode_sockaddr(raw: bytes, family: int) -> Any:
    """decode_sockaddr turns a raw ``struct sockaddr`` into Python's address tuple/str."""
    # Host strings are interned: a server's connections mostly come from a few
    # peers, and one string per connection would be memory per connection.
    if family == socket.AF_INET:
        return intern(socket.inet_ntop(socket.AF_INET, raw[4:8])), int.from_bytes(raw[2:4], "big")
    if family == socket.AF_INET6:
        return (intern(socket.inet_ntop(socket.AF_INET6, raw[8:24])),
                int.from_bytes(raw[2:4], "big"), int.from_bytes(raw[4:8], "big"),
                int.from_bytes(raw[24:28], "little"))
    if family == socket.AF_UNIX:
        path = raw[2:]
        if not path:
            return ""
        if path[0] == 0:
            return path  # abstract namespace: bytes with the leading NUL, as Python returns
        return os.fsdecode(path.split(b"\0", 1)[0])
    return raw


class Acceptor:
    """Acceptor calls accept4 on one listening socket with its own sockaddr buffer.

    Each listener owns one, so runtimes on different threads never share a buffer.
    """

    __slots__ = ("_addr", "_buf", "_len", "family")

    def __init__(self, family: int) -> None:
        self.family = family
        self._buf = ctypes.create_string_buffer(_SOCKADDR_SIZE)
        self._len = ctypes.c_uint32(_SOCKADDR_SIZE)
        self._addr = (ctypes.addressof(self._buf), ctypes.addressof(self._len))

    def accept(self, sock: socket.socket) -> tuple[int, Any]:
        """accept returns ``(fd, peer address)`` of a new non-blocking, close-on-exec socket.

        Raises the ``OSError`` subclass of the errno (``BlockingIOError`` for
        ``EAGAIN``, ``ConnectionAbortedError``, ``InterruptedError``, ...).
        """
        if _accept4 is None:  # pragma: no cover
            fd, addr = sock._accept()  # type: ignore[attr-defined]
            os.set_blocking(fd, False)
            return fd, addr
        self._len.value = _SOCKADDR_SIZE
        buf, lenp = self._addr
        fd = _accept4(sock.fileno(), buf, lenp, _FLAGS)
        if fd < 0:
            e = _get_errno()
            raise OSError(e, os.strerror(e))
        n = self._len.value
        return fd, decode_sockaddr(self._buf.raw[:n], self.family)
