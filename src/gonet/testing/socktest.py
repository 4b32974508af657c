"""socktest: fault injection at gonet's syscall seams (after Go's ``net/internal/socktest``).

A :class:`Switch` replaces the hook functions of ``gonet.net.hook_unix``
(socket, connect, listen, getsockopt) and ``gonet._poll.hook_unix``
(accept, close), and wraps every new socket so that its reads and writes
can be faulted too. A filter is a callable ``filter(call) -> exception |
None`` registered for one kind of call; returning an exception makes that
call raise it instead of reaching the kernel.

Injected ``EAGAIN`` on a read, write or accept is followed by a readiness
edge latched in the pollDesc (as if data arrived right after the syscall
looked), which is the one situation in which a real kernel says ``EAGAIN``
while the caller must not wait for another edge: it exercises the READY latch.

Use it as a context manager::

    with socktest.Switch() as sw:
        sw.fail_next("accept", errno.EMFILE, times=3)
        ...
"""

from __future__ import annotations

import errno as errno_mod
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._poll import hook_unix as poll_hooks
from ..net import hook_unix as net_hooks

__all__ = ["KINDS", "Call", "Switch", "make_error"]

#: The seams a filter can be set on.
KINDS = ("socket", "connect", "listen", "accept", "close", "getsockopt",
         "recv", "send", "recvfrom", "sendto")


@dataclass
class Call:
    """Call describes one intercepted call: its kind, the socket (if any) and extra arguments."""

    kind: str
    sock: Any = None
    args: tuple[Any, ...] = ()


Filter = Callable[[Call], BaseException | None]


def make_error(code: int) -> OSError:
    """make_error builds the ``OSError`` subclass for an errno, as the socket module would."""
    return OSError(code, os.strerror(code))


class Switch:
    """Switch intercepts gonet's socket syscalls while installed (a context manager)."""

    def __init__(self) -> None:
        self.filters: dict[str, list[Filter]] = {}
        self.calls: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self._saved: dict[str, Any] = {}

    # --- filters -------------------------------------------------------------------

    def set(self, kind: str, fn: Filter) -> None:
        """set adds a filter for ``kind`` (see :data:`KINDS`)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {KINDS}")
        self.filters.setdefault(kind, []).append(fn)

    def fail_next(self, kind: str, code: int, times: int = 1,
                  when: Callable[[Call], bool] | None = None) -> None:
        """fail_next makes the next ``times`` calls of ``kind`` fail with errno ``code``."""
        left = [times]

        def filt(call: Call) -> BaseException | None:
            if left[0] <= 0 or (when is not None and not when(call)):
                return None
            left[0] -= 1
            return make_error(code)

        self.set(kind, filt)

    def clear(self) -> None:
        """clear removes every filter."""
        self.filters.clear()

    def _check(self, call: Call) -> None:
        self.calls[call.kind] += 1
        for f in self.filters.get(call.kind, ()):
            err = f(call)
            if err is not None:
                self.injected[call.kind] += 1
                raise err

    # --- installation --------------------------------------------------------------

    def __enter__(self) -> Switch:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    def install(self) -> None:
        """install replaces the hooks; new sockets are wrapped from now on."""
        if self._saved:
            raise RuntimeError("socktest: switch already installed")
        self._saved = {
            "socket": net_hooks.socket_func,
            "connect": net_hooks.connect_func,
            "listen": net_hooks.listen_func,
            "getsockopt": net_hooks.getsockopt_int_func,
            "accept": poll_hooks.accept_func,
            "close": poll_hooks.close_func,
            "wrap": poll_hooks.wrap_socket,
        }
        saved = self._saved

        def socket_func(family: int, type_: int, proto: int) -> socket.socket:
            self._check(Call("socket", None, (family, type_, proto)))
            return saved["socket"](family, type_, proto)  # type: ignore[no-any-return]

        def connect_func(sock: Any, addr: Any) -> int:
            try:
                self._check(Call("connect", sock, (addr,)))
            except OSError as e:
                if e.errno in (errno_mod.EINTR, errno_mod.EAGAIN):
                    # A connect interrupted before it started: Go retries EINTR via
                    # the in-progress path; start it for real so the retry can finish.
                    return saved["connect"](_raw(sock), addr)  # type: ignore[no-any-return]
                return e.errno or errno_mod.EIO
            return saved["connect"](_raw(sock), addr)  # type: ignore[no-any-return]

        def listen_func(sock: Any, backlog: int) -> None:
            self._check(Call("listen", sock, (backlog,)))
            saved["listen"](_raw(sock), backlog)

        def getsockopt_func(sock: Any, level: int, opt: int) -> int:
            self._check(Call("getsockopt", sock, (level, opt)))
            return saved["getsockopt"](_raw(sock), level, opt)  # type: ignore[no-any-return]

        def accept_func(acceptor: Any, sock: Any) -> tuple[int, Any]:
            try:
                self._check(Call("accept", sock))
            except BlockingIOError:
                _latch(sock, read=True)
                raise
            return saved["accept"](acceptor, _raw(sock))  # type: ignore[no-any-return]

        def close_func(sock: Any) -> None:
            try:
                self._check(Call("close", sock))
            finally:
                saved["close"](_raw(sock))  # the descriptor is released even when faulted

        net_hooks.socket_func = socket_func
        net_hooks.connect_func = connect_func
        net_hooks.listen_func = listen_func
        net_hooks.getsockopt_int_func = getsockopt_func
        poll_hooks.accept_func = accept_func
        poll_hooks.close_func = close_func
        poll_hooks.wrap_socket = lambda s: FaultSocket(self, s)

    def uninstall(self) -> None:
        """uninstall restores the production hooks (sockets already wrapped stay wrapped)."""
        saved = self._saved
        if not saved:
            return
        net_hooks.socket_func = saved["socket"]
        net_hooks.connect_func = saved["connect"]
        net_hooks.listen_func = saved["listen"]
        net_hooks.getsockopt_int_func = saved["getsockopt"]
        poll_hooks.accept_func = saved["accept"]
        poll_hooks.close_func = saved["close"]
        poll_hooks.wrap_socket = saved["wrap"]
        self._saved = {}


def _raw(sock: Any) -> Any:
    return sock._sock if isinstance(sock, FaultSocket) else sock


def _latch(sock: Any, read: bool) -> None:
    """Latch a readiness edge on the socket's pollDesc (see the module docstring)."""
    if isinstance(sock, FaultSocket) and sock.fd is not None and sock.fd.pd is not None:
        sock.fd.np.latch_ready(sock.fd.pd, not read)


class FaultSocket:
    """FaultSocket wraps a socket; its I/O methods consult the switch first."""

    def __init__(self, switch: Switch, sock: socket.socket) -> None:
        self._switch = switch
        self._sock = sock
        self.fd: Any = None  # the owning poll.FD, set by the FD (for the READY latch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def _io(self, kind: str, read: bool) -> None:
        try:
            self._switch._check(Call(kind, self))
        except BlockingIOError:
            _latch(self, read)
            raise

    def inject(self, kind: str) -> OSError | None:
        """inject is the seam the compiled recv/send helpers call before each syscall.

        Returns the fault the switch injects for ``kind`` ("recv" or "send"),
        or None; an injected ``EAGAIN`` latches the readiness edge, as
        :meth:`recv`/:meth:`send` do for the plain helpers.
        """
        try:
            self._io(kind, kind == "recv")
        except OSError as e:
            return e
        return None

    def recv(self, n: int) -> bytes:
        self._io("recv", True)
        return self._sock.recv(n)

    def recv_into(self, buf: Any) -> int:
        self._io("recv", True)
        return self._sock.recv_into(buf)

    def recvfrom(self, n: int) -> tuple[bytes, Any]:
        self._io("recvfrom", True)
        return self._sock.recvfrom(n)

    def send(self, data: Any, flags: int = 0) -> int:
        self._io("send", False)
        return self._sock.send(data, flags)

    def sendto(self, data: Any, *args: Any) -> int:
        self._io("sendto", False)
        return self._sock.sendto(data, *args)

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()
