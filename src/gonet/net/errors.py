"""Go-formatted operation errors (Go's ``net/net.go``: ``OpError``; ``os.SyscallError``).

Go wraps every failure of a net operation in an ``OpError`` whose message is
``op net source->addr: err``. gonet keeps Python's exception classes (the
errno's ``OSError`` subclass, :class:`ClosedError`,
:class:`DeadlineExceededError`) and gives them Go's message, plus the
``op``, ``net``, ``source`` and ``addr`` attributes; the poll layer's bare
error is the ``__cause__``. Errors of ``write`` carry ``written``.

One route: :func:`op_error` is the only place such an error is made, and it
is reached in one way. A failure on a socket is formatted by its netFD,
:meth:`NetFD.error <gonet.net.fd_unix.NetFD.error>`, at the call that
failed, which knows the system call's name and passes it (nothing is stamped
on the exception to be read back later). The poll layer's reads and writes
reach that same method through ``poll.FD.error`` (the owner hook: no ``try``
frame of the net layer around the hot calls); the netFD's own methods
(``accept``, ``recvfrom``, ``sendto``, ``connect``, ``shutdown``, options,
deadlines, ``close``) call it around their system calls, so ``Conn``,
``Listener`` and ``PacketConn`` format nothing themselves. Only failures
before a socket exists (``socket(2)`` itself, a dial whose deadline passed
before it began, a file listener's checks) call :func:`op_error` directly,
with the same arguments.

The texts, as Go builds them:

* a failed system call is named before the errno text (Go's
  ``os.NewSyscallError``, added by ``net/fd_posix.go``): ``read tcp
  127.0.0.1:5000->127.0.0.1:41234: read: connection reset by peer``,
  ``write: broken pipe``, ``recvfrom``, ``sendto``, ``accept4``, ``dial tcp
  127.0.0.1:1: connect: connection refused``; a timeout or a close names no
  system call (``read tcp a->b: i/o timeout``, ``use of closed network
  connection``);
* a malformed address keeps :class:`AddrError` (a ``ValueError``) with the
  operation in front (``dial tcp: address localhost: missing port in
  address``; Go's ``OpError`` around an ``AddrError``);
* a name that does not resolve keeps ``socket.gaierror`` with the text of
  Go's ``DNSError`` (``dial tcp: lookup NAME: no such host``, the cgo
  resolver's wording: ``net/cgo_unix.go``).
"""

from __future__ import annotations

import errno as errno_mod
import os
import socket
from typing import Any

from .._poll.fd import ClosedError, DeadlineExceededError
from .addr import Addr, AddrError

__all__ = [
    "ClosedError",
    "DeadlineExceededError",
    "addr_op_error",
    "address_errno",
    "errno_text",
    "lookup_error",
    "op_error",
    "op_prefix",
]


def errno_text(code: int) -> str:
    """errno_text is the errno's message spelled as Go spells it (lower-case first letter)."""
    msg = os.strerror(code)
    if msg and msg[0].isupper() and not msg[:2].isupper():
        msg = msg[0].lower() + msg[1:]
    return msg


def address_errno(err: OSError) -> OSError:
    """address_errno is ``err``, or ``EINVAL`` if it is Python's own check of a socket address.

    Python refuses some addresses before the system call (a unix path over
    108 bytes: an ``OSError`` without errno); the kernel, and so Go, reports
    them as ``EINVAL``.
    """
    if type(err) is OSError and err.errno is None:
        return OSError(errno_mod.EINVAL, os.strerror(errno_mod.EINVAL))
    return err


def op_prefix(op: str, net: str, source: Addr | None, addr: Addr | None) -> str:
    """op_prefix formats ``op net source->addr`` as Go's ``OpError.Error`` does."""
    s = f"{op} {net}" if net else op
    if source is not None:
        s += f" {source}"
    if addr is not None:
        s += f"->{addr}" if source is not None else f" {addr}"
    return s


def op_error(op: str, net: str, source: Addr | None, addr: Addr | None,
             err: BaseException, syscall: str = "", written: int | None = None) -> BaseException:
    """op_error returns ``err`` re-made with Go's message; other exceptions come back as they are.

    ``syscall`` names the failing system call where Go does (``dial tcp
    127.0.0.1:1: connect: connection refused``); it is shown for errno errors
    only, as Go's ``wrapSyscallError`` wraps only ``syscall.Errno``.
    ``written`` (a write's bytes already written) is recorded on the result.
    """
    prefix = op_prefix(op, net, source, addr)
    new: Any
    if isinstance(err, ClosedError):
        new = ClosedError(f"{prefix}: use of closed network connection")
    elif isinstance(err, DeadlineExceededError):
        new = DeadlineExceededError(f"{prefix}: i/o timeout")
    elif isinstance(err, OSError) and err.errno:
        text = errno_text(err.errno)
        if syscall:
            text = f"{syscall}: {text}"
        new = OSError(err.errno, f"{prefix}: {text}")  # OSError picks the errno's subclass
    else:
        if written is not None:
            err.written = written  # type: ignore[attr-defined]
        return err
    new.op = op
    new.net = net
    new.source = source
    new.addr = addr
    if written is not None:
        new.written = written
    new.__cause__ = err
    return new  # type: ignore[no-any-return]


def addr_op_error(op: str, net: str, err: AddrError) -> AddrError:
    """addr_op_error is ``err`` with the operation in front: ``dial tcp: address x: missing port ...``.

    Still an :class:`AddrError` (``err`` and ``addr`` as Go's ``AddrError``),
    with ``op`` and ``net`` as an ``OpError`` has them.
    """
    new = AddrError(err.err, err.addr)
    new.args = (f"{op_prefix(op, net, None, None)}: {err}",)
    new.op = op  # type: ignore[attr-defined]
    new.net = net  # type: ignore[attr-defined]
    new.source = None  # type: ignore[attr-defined]
    new.__cause__ = err
    return new


#: getaddrinfo results Go reports as "no such host" (net/cgo_unix.go: EAI_NONAME, EAI_NODATA).
_NO_SUCH_HOST = frozenset(code for code in (getattr(socket, "EAI_NONAME", None),
                                            getattr(socket, "EAI_NODATA", None))
                          if code is not None)


def lookup_error(op: str, net: str, name: str, err: OSError) -> OSError:
    """lookup_error is a failed lookup of ``name`` with Go's ``DNSError`` text.

    ``socket.gaierror`` stays a ``gaierror`` (same ``errno``, the ``EAI_*``
    code): ``dial tcp: lookup NAME: no such host``, or the resolver's own
    text for other failures (``Temporary failure in name resolution``, as Go
    quotes ``gai_strerror``). An ``OSError`` from the resolver (``EAI_SYSTEM``:
    Python raises the errno) keeps its class with the errno text. Attributes:
    ``op``, ``net``, ``name`` (what was looked up) and ``is_not_found``.
    """
    code = err.errno
    not_found = False
    if isinstance(err, socket.gaierror):
        not_found = code in _NO_SUCH_HOST
        text = "no such host" if not_found else (err.strerror or str(err))
        new: Any = socket.gaierror(code, f"{op_prefix(op, net, None, None)}: lookup {name}: {text}")
    elif code:
        new = OSError(code, f"{op_prefix(op, net, None, None)}: lookup {name}: {errno_text(code)}")
    else:
        new = OSError(f"{op_prefix(op, net, None, None)}: lookup {name}: {err}")
    new.op = op
    new.net = net
    new.source = None
    new.addr = None
    new.name = name
    new.is_not_found = not_found
    new.__cause__ = err
    return new  # type: ignore[no-any-return]


# errno values that mean "out of descriptors or buffers": Listener.serve backs off on them.
RESOURCE_ERRNOS = frozenset({errno_mod.EMFILE, errno_mod.ENFILE, errno_mod.ENOBUFS,
                             errno_mod.ENOMEM})
