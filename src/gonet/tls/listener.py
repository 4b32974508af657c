"""TLSListener: a listener whose conns speak TLS (Go's ``crypto/tls`` ``listener``, ``NewListener``).

``accept`` wraps each accepted conn in a server-side :class:`TLSConn` and
returns at once: the handshake runs lazily, on the conn's first read or write,
in whichever goroutine serves the conn — so the accept loop never waits for a
slow or silent client (Go's ``tls.listener.Accept`` does the same).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from types import TracebackType
from typing import Any

import gonet

from .conn import TLSConn

__all__ = ["TLSListener"]


class TLSListener:
    """TLSListener accepts TLS conns over a gonet ``Listener``; create one with :func:`gonet.tls.listen`.

    Usable as a context manager (closes on exit).
    """

    __slots__ = ("__weakref__", "_context", "_ln")

    def __init__(self, listener: gonet.Listener, context: ssl.SSLContext) -> None:
        if not isinstance(context, ssl.SSLContext):
            raise TypeError(f"context must be an ssl.SSLContext, not {type(context).__name__}")
        self._ln = listener
        self._context = context

    def __repr__(self) -> str:
        return f"<gonet.tls.TLSListener {self._ln.addr}>"

    @property
    def context(self) -> ssl.SSLContext:
        """context is the server ``SSLContext`` every accepted conn uses."""
        return self._context

    @property
    def inner(self) -> gonet.Listener:
        """inner is the plain gonet listener underneath."""
        return self._ln

    @property
    def addr(self) -> gonet.Addr | None:
        """addr is the address the listener is bound to (with the real port for port 0)."""
        return self._ln.addr

    def accept(self) -> TLSConn:
        """accept returns the next connection as a server-side :class:`TLSConn`, handshake pending.

        Parks while none is pending. Raises what ``Listener.accept`` raises
        (``ClosedError`` once closed, ``DeadlineExceededError``, ``OSError``).
        """
        conn = self._ln.accept()
        try:
            return TLSConn(conn, self._context, True)
        except BaseException:
            conn.close()
            raise

    def serve(self, handler: Callable[[TLSConn], Any]) -> None:
        """serve accepts until the listener is closed, running ``handler(conn)`` per TLS conn.

        Each handler runs in its own goroutine, where the handshake happens
        on its first read or write; the conn is closed (close_notify sent)
        when the handler returns. Backs off on ``EMFILE``/``ENFILE`` like
        ``Listener.serve``. Returns when the listener is closed.
        """
        context = self._context

        def serve_tls(conn: gonet.Conn) -> None:
            tc = TLSConn(conn, context, True)  # on failure, Listener.serve closes conn
            try:
                handler(tc)
            finally:
                tc.close()

        self._ln.serve(serve_tls)

    def close(self) -> None:
        """close stops listening; idempotent. Conns already accepted stay open."""
        self._ln.close()

    def set_deadline(self, t: float | None) -> None:
        """set_deadline sets the time after which ``accept`` fails with ``DeadlineExceededError``."""
        self._ln.set_deadline(t)

    def fileno(self) -> int:
        """fileno is the listening socket's descriptor (-1 once closed)."""
        return self._ln.fileno()

    def __enter__(self) -> TLSListener:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
