"""``socket.socket.connect``, ``connect_ex`` and ``accept``, made to park a goroutine.

Neither ``connect(2)`` nor ``accept(2)`` takes a per-call non-blocking flag
(the rest of :mod:`.sockets` uses ``MSG_DONTWAIT``), so for these one
syscall the descriptor is made non-blocking — through a timeout-0 twin
object over the same descriptor — and its mode is restored right after. A
connect then continues asynchronously: the goroutine parks until the socket
is writable and reads the outcome with ``SO_ERROR``, confirmed with
``getpeername()`` because a spurious wake-up reads 0 too (Go's
``net/fd_unix.go``). ``accept`` is patched as ``_accept``, the C call that
``socket.socket.accept`` wraps, so the new socket is built exactly as the
standard library builds it.
"""

from __future__ import annotations

import _socket
import errno
import os
import socket
from typing import TYPE_CHECKING, Any

from ._g import current_g
from .dns import resolve_address
from .sockio import _conn, _deadline, _fileno, _gettimeout, _twin, _wait

if TYPE_CHECKING:
    from .._runtime.g import Goroutine

__all__ = ["PATCHES", "connect", "connect_ex"]

_ss = _socket.socket
_connect = _ss.connect
_connect_ex = _ss.connect_ex
_accept = _ss._accept  # type: ignore[attr-defined]


def _nonblocking_twin(sock: socket.socket) -> Any:
    """A timeout-0 twin: makes the (shared) descriptor non-blocking; detach it after use."""
    twin = _ss(sock.family, sock.type, sock.proto, _fileno(sock))
    twin.settimeout(0.0)
    return twin


def _connect_coop(g: Goroutine, sock: socket.socket, address: Any, timeout: float | None) -> int:
    """Connect without blocking the thread; returns the errno (0 when connected)."""
    deadline = _deadline(g, timeout)
    address = resolve_address(sock, address)
    twin = _nonblocking_twin(sock)
    try:
        err = _connect_ex(twin, address)
    finally:
        twin.detach()
        if timeout is None:
            os.set_blocking(_fileno(sock), True)  # as CPython had it
    if err == errno.EAGAIN and sock.family == socket.AF_UNIX:
        # A unix listener's backlog is full: the C call would block until it
        # drains; do exactly that, off the thread.
        from .._runtime.proc import blocking

        return blocking(_connect_ex, sock, address)  # type: ignore[no-any-return]
    if err not in (errno.EINPROGRESS, errno.EALREADY, errno.EINTR):
        return err
    rc = _conn(g, sock)
    if rc is None:
        return errno.EBADF
    while True:
        _wait(rc, True, deadline)
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            return err
        try:
            sock.getpeername()  # SO_ERROR reads 0 before the connection exists (Go's fd_unix.go)
            return 0
        except OSError as e:
            if e.errno != errno.ENOTCONN:
                return e.errno or errno.EIO


def connect(self: socket.socket, address: Any) -> None:
    """connect is ``socket.connect``; a goroutine parks until the connection is established."""
    g = current_g()
    timeout = _gettimeout(self) if g is not None else 0.0
    if g is None or timeout == 0.0:
        return _connect(self, address)
    try:
        err = _connect_coop(g, self, address, timeout)
    except TimeoutError:
        raise TimeoutError("timed out") from None
    if err:
        raise OSError(err, os.strerror(err))
    return None


def connect_ex(self: socket.socket, address: Any) -> int:
    """connect_ex is ``socket.connect_ex``: connect, returning an errno instead of raising."""
    g = current_g()
    timeout = _gettimeout(self) if g is not None else 0.0
    if g is None or timeout == 0.0:
        return _connect_ex(self, address)
    try:
        return _connect_coop(g, self, address, timeout)
    except TimeoutError:
        return errno.EAGAIN  # what CPython's connect_ex returns when its timeout passes


def _accept_patched(self: socket.socket) -> tuple[int, Any]:
    """_accept is the C accept that ``socket.accept`` calls; a goroutine parks until one is pending."""
    g = current_g()
    timeout = _gettimeout(self) if g is not None else 0.0
    if g is None or timeout == 0.0:
        return _accept(self)  # type: ignore[no-any-return]
    rc = _conn(g, self)
    if rc is None:
        return _accept(self)  # type: ignore[no-any-return]
    deadline = _deadline(g, timeout)
    while True:
        if timeout is None:
            twin = _nonblocking_twin(self)
            try:
                return _accept(twin)  # type: ignore[no-any-return]
            except BlockingIOError:
                pass
            finally:
                twin.detach()
                os.set_blocking(rc.fd, True)
        else:
            try:
                return _accept(_twin(rc, self))  # type: ignore[no-any-return]
            except BlockingIOError:
                pass
        _wait(rc, False, deadline)



#: (attribute of socket.socket, replacement)
PATCHES: list[tuple[str, Any]] = [
    ("connect", connect), ("connect_ex", connect_ex), ("_accept", _accept_patched),
]
