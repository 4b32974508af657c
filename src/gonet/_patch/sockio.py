"""A patched socket's netpoller registration and its hot calls (compiled: sockio.pxd).

:mod:`.sockets` replaces the methods of ``socket.socket`` with Python
functions (they must bind ``self``); the stream read and ``sendall`` that
every request/response client makes per request run here, as C in the
compiled build: finding the calling goroutine and the socket's registration,
the short-read rule, the wait. The registration of a socket with each
runtime's netpoller (borrowed, one per runtime, forgotten when the socket is
closed, detached or collected) is kept here too, as it is what those calls
look up.
"""

from __future__ import annotations

import _socket
import errno
import os
import socket
import weakref
from typing import TYPE_CHECKING, Any

from .._poll.rawconn import WAIT_OK, WAIT_TIMEOUT, RawConn, open_raw
from .._runtime.g import current_sched
from ._g import current_g

try:
    import cython
except ImportError:  # plain Python without Cython installed
    from .._runtime import _cython as cython

if not cython.compiled:  # compiled, the C helpers of g.pxd (sockio.pxd cimports them)
    from .._runtime.g import current_glet, greenlet_import

if TYPE_CHECKING:
    from .._runtime.g import Goroutine

greenlet_import()  # each compiled module needs its own copy of the C API table

__all__ = ["DONTWAIT", "read_stream", "registrations_of", "send_all", "unregister"]

_ss = _socket.socket
# Plain ints, not the IntFlag/IntEnum members of socket.py: ``flags | MSG_DONTWAIT``
# and ``sock.type`` on the enum classes run Python-level enum code on every call.
DONTWAIT = int(socket.MSG_DONTWAIT)
_PEEK = int(socket.MSG_PEEK)
_STREAM = int(socket.SOCK_STREAM)
_gettimeout = _ss.gettimeout
_fileno = _ss.fileno
_sock_type: Any = _ss.type.__get__  # the C getter: an int, not socket.py's SocketKind property
_send = _ss.send
_sendall = _ss.sendall

#: fd -> the RawConns (one per runtime) registered for the socket using it.
_regs: dict[int, weakref.WeakSet[RawConn]] = {}


def registrations_of(sock: socket.socket) -> list[RawConn]:
    """registrations_of lists the live netpoller registrations of ``sock`` (tests, shutdown)."""
    fd = _fileno(sock)
    return [rc for rc in _regs.get(fd, ()) if rc.pd is not None and rc.owner() is sock]


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
    if g is None or g.glet is not current_glet():
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


def read_stream(sock: socket.socket, orig: Any, args: tuple[Any, ...], flags: int,
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


def unregister(sock: socket.socket) -> None:
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


def send_all(sock: socket.socket, data: Any, flags: int) -> None:
    """send_all is the body of the patched ``sendall`` (compiled: it runs on every request)."""
    timeout = _gettimeout(sock)
    if timeout == 0.0:
        return _sendall(sock, data, flags)
    found = _fast_conn(sock)
    if found is None:
        g = current_g()
        if g is None:
            return _sendall(sock, data, flags)
        rc = _conn(g, sock)
        if rc is None:
            return _sendall(sock, data, flags)
    else:
        g, rc = found
    if timeout is None:
        target: Any = sock
    else:
        target = rc.shadow  # _twin(), inlined once the twin exists
        if target is None:
            target = _twin(rc, sock)
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


