"""Go-formatted operation errors (Go's ``net/net.go``: ``OpError``).

Go wraps every failure of a net operation in an ``OpError`` whose message is
``op net source->addr: err``. gonet keeps Python's exception classes (the
errno's ``OSError`` subclass, :class:`ClosedError`,
:class:`DeadlineExceededError`) and gives them Go's message, plus the
``op``, ``net``, ``source`` and ``addr`` attributes; the poll layer's bare
error is the ``__cause__``. Errors that carry ``written`` (from ``write``)
keep it.
"""

from __future__ import annotations

import errno as errno_mod
import os
from typing import Any

from .._poll.fd import ClosedError, DeadlineExceededError
from .addr import Addr

__all__ = ["ClosedError", "DeadlineExceededError", "errno_text", "op_error", "op_prefix"]


def errno_text(code: int) -> str:
    """errno_text is the errno's message spelled as Go spells it (lower-case first letter)."""
    msg = os.strerror(code)
    if msg and msg[0].isupper() and not msg[:2].isupper():
        msg = msg[0].lower() + msg[1:]
    return msg


def op_prefix(op: str, net: str, source: Addr | None, addr: Addr | None) -> str:
    """op_prefix formats ``op net source->addr`` as Go's ``OpError.Error`` does."""
    s = f"{op} {net}" if net else op
    if source is not None:
        s += f" {source}"
    if addr is not None:
        s += f"->{addr}" if source is not None else f" {addr}"
    return s


def op_error(op: str, net: str, source: Addr | None, addr: Addr | None,
             err: BaseException, syscall: str = "") -> BaseException:
    """op_error returns ``err`` re-made with Go's message; other exceptions come back as they are.

    ``syscall`` names the failing system call where Go does (``dial tcp
    127.0.0.1:1: connect: connection refused``).
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
        return err
    new.op = op
    new.net = net
    new.source = source
    new.addr = addr
    written = getattr(err, "written", None)
    if written is not None:
        new.written = written
    new.__cause__ = err
    return new  # type: ignore[no-any-return]


# errno values that mean "out of descriptors or buffers": Listener.serve backs off on them.
RESOURCE_ERRNOS = frozenset({errno_mod.EMFILE, errno_mod.ENFILE, errno_mod.ENOBUFS,
                             errno_mod.ENOMEM})
