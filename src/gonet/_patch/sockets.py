"""``socket.socket`` patched in place: its blocking calls park a goroutine on the netpoller.

The methods of ``socket.socket`` itself are replaced (not the class), so
sockets created before ``gonet.patch()``, subclasses such as
``ssl.SSLSocket`` and every ``isinstance`` check keep working. Each method
decides per call (see :mod:`._g`): outside a goroutine, and for
non-blocking sockets (``timeout == 0``, whose callers expect
``BlockingIOError``), it *is* the C method.

In a goroutine the call tries the syscall without blocking and, on
``EAGAIN``, waits on the descriptor's pollDesc (:mod:`gonet._poll.rawconn`:
registered once per runtime, borrowed, never closed by gonet), then retries.
The descriptor's blocking mode stays what CPython set (``fileno()`` users in
C never see a surprise ``EAGAIN``):

* a socket without a timeout (blocking descriptor) does its syscalls with
  ``MSG_DONTWAIT``;
* a socket with a timeout already has a non-blocking descriptor, but
  CPython would ``poll()`` the thread before each syscall; its syscalls go
  through a *twin*, a second ``_socket.socket`` object over the same
  descriptor with timeout 0 (so nothing about the descriptor changes),
  detached, never closed, when the socket is;
* ``connect`` and ``accept`` (:mod:`.connecting`) have no per-call flag.

``settimeout(t)`` becomes a deadline over the whole call, as for CPython's
``sendall`` and ``connect``; expiry raises ``socket.timeout("timed out")``.
A host name in an address is resolved through the patched ``getaddrinfo``
(off the thread), never by the C call.
"""

from __future__ import annotations

import _socket
import socket
from typing import Any

from ._g import current_g
from .dns import resolve_address
from .sockio import _io, read_stream, registrations_of, send_all, unregister

__all__ = ["PATCHES", "registrations_of"]

_ss = _socket.socket
_recv = _ss.recv
_recv_into = _ss.recv_into
_recvfrom = _ss.recvfrom
_recvfrom_into = _ss.recvfrom_into
_recvmsg = _ss.recvmsg
_recvmsg_into = _ss.recvmsg_into
_send = _ss.send
_sendto = _ss.sendto
_sendmsg = _ss.sendmsg
_sendall = _ss.sendall
_orig_real_close = socket.socket._real_close  # type: ignore[attr-defined]
_orig_detach = socket.socket.detach
_orig_sendfile = socket.socket.sendfile

# --- reads ---------------------------------------------------------------------------


def recv(self: socket.socket, bufsize: int, flags: int = 0) -> bytes:
    """recv is ``socket.recv``; a goroutine parks while nothing has arrived."""
    return read_stream(self, _recv, (bufsize,), flags, bufsize)  # type: ignore[no-any-return]


def recv_into(self: socket.socket, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
    """recv_into is ``socket.recv_into``; a goroutine parks while nothing has arrived."""
    if nbytes < 0:
        return _recv_into(self, buffer, nbytes, flags)  # the C call raises ValueError
    want = nbytes
    if want == 0:
        if type(buffer) is bytearray:  # the common case (redis-py, http.client): no view
            want = len(buffer)
        else:
            try:
                want = memoryview(buffer).nbytes
            except TypeError:  # not a buffer: the C call raises
                return _recv_into(self, buffer, nbytes, flags)
    return read_stream(self, _recv_into, (buffer, nbytes), flags, want)  # type: ignore[no-any-return]


def recvfrom(self: socket.socket, bufsize: int, flags: int = 0) -> tuple[bytes, Any]:
    """recvfrom is ``socket.recvfrom``; a goroutine parks while nothing has arrived."""
    return _io(self, False, _recvfrom, (bufsize,), flags)  # type: ignore[no-any-return]


def recvfrom_into(self: socket.socket, buffer: Any, nbytes: int = 0,
                  flags: int = 0) -> tuple[int, Any]:
    """recvfrom_into is ``socket.recvfrom_into``; a goroutine parks while nothing has arrived."""
    return _io(self, False, _recvfrom_into, (buffer, nbytes), flags)  # type: ignore[no-any-return]


def recvmsg(self: socket.socket, bufsize: int, ancbufsize: int = 0, flags: int = 0) -> Any:
    """recvmsg is ``socket.recvmsg``; a goroutine parks while nothing has arrived."""
    return _io(self, False, _recvmsg, (bufsize, ancbufsize), flags)


def recvmsg_into(self: socket.socket, buffers: Any, ancbufsize: int = 0, flags: int = 0) -> Any:
    """recvmsg_into is ``socket.recvmsg_into``; a goroutine parks while nothing has arrived."""
    bufs = list(buffers)
    return _io(self, False, _recvmsg_into, (bufs, ancbufsize), flags)


# --- writes --------------------------------------------------------------------------


def send(self: socket.socket, data: Any, flags: int = 0) -> int:
    """send is ``socket.send``; a goroutine parks while the send buffer is full."""
    return _io(self, True, _send, (data,), flags)  # type: ignore[no-any-return]


def sendto(self: socket.socket, data: Any, flags_or_addr: Any, addr: Any = None) -> int:
    """sendto is ``socket.sendto`` (both signatures); host names are resolved off the thread."""
    if addr is None:
        flags, address = 0, flags_or_addr
    else:
        flags, address = flags_or_addr, addr
    g = current_g()
    if g is None:
        if addr is None:
            return _sendto(self, data, flags_or_addr)
        return _sendto(self, data, flags_or_addr, addr)
    address = resolve_address(self, address)

    def sendto_flags(target: Any, d: Any, a: Any, f: int) -> int:
        return _sendto(target, d, f, a)

    return _io(self, True, sendto_flags, (data, address), flags,  # type: ignore[no-any-return]
               lambda: _sendto(self, data, flags, address))


def sendmsg(self: socket.socket, buffers: Any, ancdata: Any = (), flags: int = 0,
            address: Any = None) -> int:
    """sendmsg is ``socket.sendmsg``; a goroutine parks while the send buffer is full."""
    bufs = list(buffers)
    anc = list(ancdata)

    def sendmsg_flags(target: Any, b: Any, a: Any, f: int) -> int:
        if address is None:
            return _sendmsg(target, b, a, f)
        return _sendmsg(target, b, a, f, address)

    return _io(self, True, sendmsg_flags, (bufs, anc), flags,  # type: ignore[no-any-return]
               lambda: sendmsg_flags(self, bufs, anc, flags))


def sendall(self: socket.socket, data: Any, flags: int = 0) -> None:
    """sendall is ``socket.sendall``: the timeout bounds the whole call, as in CPython."""
    return send_all(self, data, flags)


def sendfile(self: socket.socket, file: Any, offset: int = 0, count: int | None = None) -> int:
    """sendfile is ``socket.sendfile``; a goroutine sends through the cooperative ``send``.

    ``os.sendfile`` has no per-call non-blocking flag, so a goroutine uses
    the standard library's own read-and-send fallback.
    """
    if current_g() is None:
        return _orig_sendfile(self, file, offset, count)
    return self._sendfile_use_send(file, offset, count)  # type: ignore[attr-defined, no-any-return]


# --- close and detach ----------------------------------------------------------------


def _real_close(self: socket.socket, _ss: Any = _ss) -> None:
    """_real_close unregisters the socket from every netpoller, then closes it."""
    unregister(self)
    _orig_real_close(self, _ss)


def detach(self: socket.socket) -> int:
    """detach unregisters the socket from every netpoller and gives up its descriptor."""
    unregister(self)
    return _orig_detach(self)


#: (attribute of socket.socket, replacement)
PATCHES: list[tuple[str, Any]] = [
    ("recv", recv), ("recv_into", recv_into), ("recvfrom", recvfrom),
    ("recvfrom_into", recvfrom_into), ("recvmsg", recvmsg), ("recvmsg_into", recvmsg_into),
    ("send", send), ("sendto", sendto), ("sendmsg", sendmsg), ("sendall", sendall),
    ("sendfile", sendfile), ("_real_close", _real_close), ("detach", detach),
]
