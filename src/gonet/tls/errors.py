"""errors: the exceptions gonet.tls adds to those of :mod:`ssl` and :mod:`gonet`.

Everything else a TLS conn raises is what the layer below raised: the inner
conn's ``DeadlineExceededError``, ``ClosedError`` and ``OSError`` subclasses
(with Go's messages), and :mod:`ssl`'s ``SSLError`` subclasses for protocol
failures (a bad ClientHello, a failed certificate check, a bad record MAC).
"""

from __future__ import annotations

import copy
import ssl
from typing import Any

import gonet

__all__ = ["TruncatedError", "again", "closed_error", "renegotiation_error", "unexpected_eof"]


class TruncatedError(ssl.SSLEOFError):
    """TruncatedError: the transport reached EOF before the peer's close_notify alert.

    A subclass of :class:`ssl.SSLEOFError` (so of ``ssl.SSLError`` and
    ``OSError``). ``mid_record`` tells whether the stream stopped inside a TLS
    record (always an error, Go's ``io.ErrUnexpectedEOF``) or at a record
    boundary (an error too unless the context sets
    ``ssl.OP_IGNORE_UNEXPECTED_EOF``, which selects Go's rule: a clean EOF).
    An EOF during the handshake is one as well (``during_handshake``).
    """

    mid_record: bool = False
    during_handshake: bool = False

    def __init__(self, message: str, *, mid_record: bool, during_handshake: bool = False) -> None:
        super().__init__(ssl.SSL_ERROR_EOF, message)
        self.mid_record = mid_record
        self.during_handshake = during_handshake

    def __str__(self) -> str:
        return str(self.args[1])

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (str(self), self.mid_record, self.during_handshake))


def _rebuild(message: str, mid_record: bool, during_handshake: bool) -> TruncatedError:
    return TruncatedError(message, mid_record=mid_record, during_handshake=during_handshake)


def again(err: BaseException) -> BaseException:
    """again returns a fresh copy of a sticky error (own traceback, ``written`` 0), chained to it."""
    try:
        e = copy.copy(err)
    except Exception:  # an exception type copy cannot rebuild: raise the original
        e = err.with_traceback(None)
    else:
        e.__cause__ = err
    if isinstance(e, OSError):
        e.written = 0  # type: ignore[attr-defined]
    return e


def unexpected_eof(at_boundary: bool) -> TruncatedError:
    """unexpected_eof is the error of a transport EOF without close_notify after the handshake."""
    where = "at a record boundary" if at_boundary else "inside a TLS record"
    return TruncatedError(f"tls: unexpected EOF {where}: the connection was closed without "
                          f"a close_notify alert (the stream may be truncated)",
                          mid_record=not at_boundary)


def renegotiation_error(written: int) -> ssl.SSLError:
    """renegotiation_error: SSL_write waits for input only in a TLS 1.2 renegotiation, refused as in Go."""
    err = ssl.SSLError(ssl.SSL_ERROR_WANT_READ, "tls: renegotiation is not supported")
    err.written = written  # type: ignore[attr-defined]
    return err


def closed_error(op: str, conn: Any) -> gonet.ClosedError:
    """closed_error is the error of ``op`` on a closed TLS conn over ``conn`` (Go's ``net.ErrClosed``)."""
    return gonet.ClosedError(f"{op} tls {conn.local_addr}->{conn.remote_addr}: "
                             f"use of closed network connection")
