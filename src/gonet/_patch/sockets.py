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
import errno
import os
import socket
import weakref
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent

from .._poll.rawconn import WAIT_OK, WAIT_TIMEOUT, RawConn, open_raw
from .._runtime.g import current_sched
from ._g import current_g
from .dns import resolve_address

if TYPE_CHECKING:
    from .._runtime.g import Goroutine

__all__ = ["PATCHES", "registrations_of"]

_ss = _socket.socket
# Plain ints, not the IntFlag/IntEnum members of socket.py: ``flags | MSG_DONTWAIT``
# and ``sock.type`` on the enum classes run Python-level enum code on every call.
DONTWAIT = int(socket.MSG_DONTWAIT)
_PEEK = int(socket.MSG_PEEK)
_STREAM = int(socket.SOCK_STREAM)
_gettimeout = _ss.gettimeout
_fileno = _ss.fileno
_sock_type: Any = _ss.type.__get__  # the C getter: an int, not socket.py's SocketKind property

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

#: fd -> the RawConns (one per runtime) registered for the socket using it.
_regs: dict[int, weakref.WeakSet[RawConn]] = {}


def registrations_of(sock: socket.socket) -> list[RawConn]:
    """registrations_of lists the live netpoller registrations of ``sock`` (tests, shutdown)."""
    fd = _fileno(sock)
    return [rc for rc in _regs.get(fd, ()) if rc.pd is not None and rc.owner() is sock]


def _forget(rc: RawConn) -> None:
    """Unregister ``rc`` from its runtime: at once on its thread, posted from any other."""
    if rc.pd is None:
        return
    rt: Any = rc.rt
    if current_sched() is rt:
        rc.close()
        return
    try:
        rt.post(rc.close)
    except (RuntimeError, AttributeError):
        pass  # that runtime has ended (its shutdown unregistered everything)


def _conn(g: Goroutine, sock: socket.socket) -> RawConn | None:
    """The RawConn of ``sock`` in ``g``'s runtime, registering it on first use."""
    fd = _fileno(sock)
    if fd < 0:
        return None
    rt: Any = g.sched
    fdtab = rt.netpoll.fdtab
    if fd < len(fdtab):  # rawconn.lookup, inlined: this runs on every patched call
        pd = fdtab[fd]
        if pd is not None:
            rc = pd.user
            if type(rc) is RawConn and rc.owner is not None and rc.owner() is sock:
                return rc
    rc = open_raw(rt, fd, None)
    rc.owner = weakref.ref(sock, _on_socket_collected(rc))
    regs = _regs.get(fd)
    if regs is None:
        regs = _regs[fd] = weakref.WeakSet()
    regs.add(rc)
    return rc


def _on_socket_collected(rc: RawConn) -> Any:
    ref = weakref.ref(rc)

    def collected(_: Any) -> None:
        r = ref()
        if r is not None:
            _forget(r)
    return collected


def _twin(rc: RawConn, sock: socket.socket) -> Any:
    """The timeout-0 twin of a socket with a timeout (its descriptor is non-blocking already)."""
    twin = rc.shadow
    if twin is None:  # first use: later calls read rc.shadow themselves
        twin = _ss(sock.family, sock.type, sock.proto, rc.fd)
        twin.settimeout(0.0)
        rc.shadow = twin
    return twin


def _fast_conn(sock: socket.socket) -> tuple[Goroutine, RawConn] | None:
    """The calling goroutine and the socket's RawConn, if both exist already.

    :func:`._g.current_g` and :func:`_conn`'s lookup, inlined for the
    stream read and ``sendall`` of a registered socket: the calls every
    request/response client makes. None sends the caller down the full path.
    """
    s: Any = current_sched()
    if s is None:
        return None
    g = s.curg
    if g is None or g.glet is not getcurrent():
        return None
    fd = _fileno(sock)
    fdtab = s.netpoll.fdtab
    if 0 <= fd < len(fdtab):
        pd = fdtab[fd]
        if pd is not None:
            rc = pd.user
            if type(rc) is RawConn and rc.owner is not None and rc.owner() is sock:
                return g, rc
    return None


def _deadline(g: Goroutine, timeout: float | None) -> float | None:
    return None if timeout is None else g.sched.clock.now() + timeout


def _wait(rc: RawConn, write: bool, deadline: float | None) -> None:
    res = rc.wait(write, deadline)
    if res != WAIT_OK:
        _wait_failed(res)


def _wait_failed(res: int) -> None:
    """Raise what a failed wait (``WAIT_TIMEOUT`` or ``WAIT_CLOSED``) means to the caller."""
    if res == WAIT_TIMEOUT:
        raise TimeoutError("timed out")  # socket.timeout is TimeoutError (3.10+)
    raise OSError(errno.EBADF, os.strerror(errno.EBADF))


def _io(sock: socket.socket, write: bool, orig: Any, args: tuple[Any, ...], flags: int,
        fallback: Any = None) -> Any:
    """Run ``orig(target, *args, flags | MSG_DONTWAIT)`` cooperatively, or the plain call.

    The plain call is ``fallback()``, or ``orig(sock, *args, flags)`` when
    ``fallback`` is None (no closure to build on every call).
    """
    g = current_g()
    if g is None:
        return orig(sock, *args, flags) if fallback is None else fallback()
    timeout = _gettimeout(sock)
    if timeout == 0.0:
        return orig(sock, *args, flags) if fallback is None else fallback()
    rc = _conn(g, sock)
    if rc is None:  # closed: the C call raises EBADF
        return orig(sock, *args, flags) if fallback is None else fallback()
    target = sock if timeout is None else _twin(rc, sock)
    deadline = _deadline(g, timeout)
    flags |= DONTWAIT
    while True:
        try:
            return orig(target, *args, flags)
        except BlockingIOError:
            pass
        _wait(rc, write, deadline)


# --- reads ---------------------------------------------------------------------------


def _read_stream(sock: socket.socket, orig: Any, args: tuple[Any, ...], flags: int,
                 want: int) -> Any:
    """A stream read (recv, recv_into): ``_io`` plus Go's short-read rule (fd_unix.py).

    A read that returned fewer bytes than asked for proves the receive queue
    was empty at that moment, so the next read waits first instead of paying
    for a syscall that fails with ``EAGAIN``: any data that arrived since has
    produced an edge, which is latched (READY) or wakes the wait. A peek
    proves nothing (the data stays), so it never sets the flag.
    """
    timeout = _gettimeout(sock)
    if timeout == 0.0:
        return orig(sock, *args, flags)
    found = _fast_conn(sock)
    if found is None:
        g = current_g()
        if g is None:
            return orig(sock, *args, flags)
        if _sock_type(sock) != _STREAM:
            return _io(sock, False, orig, args, flags)
        rc = _conn(g, sock)
        if rc is None:
            return orig(sock, *args, flags)  # closed: the C call raises EBADF
    else:
        g, rc = found
        if _sock_type(sock) != _STREAM:
            return _io(sock, False, orig, args, flags)
    if timeout is None:
        target: Any = sock
        deadline = None
    else:
        target = rc.shadow
        if target is None:
            target = _twin(rc, sock)
        deadline = g.sched.clock.now() + timeout
    peek = flags & _PEEK
    flags |= DONTWAIT
    if rc.rdrained:
        # The last read was short: wait first, unless a hang-up or an error (the
        # pollDesc's sticky hang-up) makes reads return at once without a new edge.
        # RawConn.must_try_first and _wait, inlined: this runs on every reply.
        pd = rc.pd
        if pd is not None and not rc.rt.netpoll.hung_up(pd):
            res = rc.wait(False, deadline)
            if res != WAIT_OK:
                _wait_failed(res)
    while True:
        try:
            got = orig(target, *args, flags)
        except BlockingIOError:
            rc.rdrained = False
            _wait(rc, False, deadline)
            continue
        except BaseException:
            rc.rdrained = False
            raise
        n = got if type(got) is int else len(got)
        rc.rdrained = not peek and 0 < n < want
        return got


def recv(self: socket.socket, bufsize: int, flags: int = 0) -> bytes:
    """recv is ``socket.recv``; a goroutine parks while nothing has arrived."""
    return _read_stream(self, _recv, (bufsize,), flags, bufsize)  # type: ignore[no-any-return]


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
    return _read_stream(self, _recv_into, (buffer, nbytes), flags, want)  # type: ignore[no-any-return]


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
    timeout = _gettimeout(self)
    if timeout == 0.0:
        return _sendall(self, data, flags)
    found = _fast_conn(self)
    if found is None:
        g = current_g()
        if g is None:
            return _sendall(self, data, flags)
        rc = _conn(g, self)
        if rc is None:
            return _sendall(self, data, flags)
    else:
        g, rc = found
    if timeout is None:
        target: Any = self
    else:
        target = rc.shadow  # _twin(), inlined once the twin exists
        if target is None:
            target = _twin(rc, self)
    sent = 0
    if type(data) is bytes:  # the common case: often one send does it all
        try:
            sent = _send(target, data, flags | DONTWAIT)
        except BlockingIOError:
            sent = 0
        if sent == len(data):
            return None
    deadline = _deadline(g, timeout)
    with memoryview(data) as view, view.cast("B") as mv:
        total = len(mv)
        while sent < total:
            try:
                sent += _send(target, mv[sent:], flags | DONTWAIT)
                continue
            except BlockingIOError:
                pass
            _wait(rc, True, deadline)
    return None


def sendfile(self: socket.socket, file: Any, offset: int = 0, count: int | None = None) -> int:
    """sendfile is ``socket.sendfile``; a goroutine sends through the cooperative ``send``.

    ``os.sendfile`` has no per-call non-blocking flag, so a goroutine uses
    the standard library's own read-and-send fallback.
    """
    if current_g() is None:
        return _orig_sendfile(self, file, offset, count)
    return self._sendfile_use_send(file, offset, count)  # type: ignore[attr-defined, no-any-return]


# --- close and detach ----------------------------------------------------------------


def _unregister(sock: socket.socket) -> None:
    fd = _fileno(sock)
    if fd < 0:
        return
    regs = _regs.get(fd)
    if not regs:
        return
    for rc in list(regs):
        if rc.owner is not None and rc.owner() is sock:
            regs.discard(rc)
            _forget(rc)
    if not regs:
        _regs.pop(fd, None)


def _real_close(self: socket.socket, _ss: Any = _ss) -> None:
    """_real_close unregisters the socket from every netpoller, then closes it."""
    _unregister(self)
    _orig_real_close(self, _ss)


def detach(self: socket.socket) -> int:
    """detach unregisters the socket from every netpoller and gives up its descriptor."""
    _unregister(self)
    return _orig_detach(self)


#: (attribute of socket.socket, replacement)
PATCHES: list[tuple[str, Any]] = [
    ("recv", recv), ("recv_into", recv_into), ("recvfrom", recvfrom),
    ("recvfrom_into", recvfrom_into), ("recvmsg", recvmsg), ("recvmsg_into", recvmsg_into),
    ("send", send), ("sendto", sendto), ("sendmsg", sendmsg), ("sendall", sendall),
    ("sendfile", sendfile), ("_real_close", _real_close), ("detach", detach),
]
