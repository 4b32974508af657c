"""``ssl`` through ``SSLContext.sslsocket_class``: an ``SSLSocket`` whose I/O parks a goroutine.

``SSLContext`` is never replaced — that is what makes import order
irrelevant (gevent replaces it and warns about every early ``import ssl``).
Every context builds its sockets from the class attribute
``SSLContext.sslsocket_class``; patching sets it to :class:`SSLSocket`, a
subclass of ``ssl.SSLSocket``, so ``isinstance`` checks hold.

OpenSSL reads and writes the descriptor itself, and CPython's ``_ssl`` waits
with ``poll()`` according to the socket's timeout. In a goroutine each
operation (read, write, handshake, unwrap) runs with the socket's timeout at
0 for the duration of that one call — OpenSSL then reports
``SSLWantReadError``/``SSLWantWriteError`` instead of blocking — and the
goroutine parks on the socket's pollDesc until the descriptor is readable or
writable, then tries again; the timeout is restored after each call, and the
socket's own timeout bounds the whole operation. Outside a goroutine every
method is ``ssl.SSLSocket``'s.
"""

from __future__ import annotations

import _socket
import ssl
from typing import Any

from . import sockio
from ._g import current_g

__all__ = ["SSLSocket"]

_settimeout = _socket.socket.settimeout
_gettimeout = _socket.socket.gettimeout
_Base = ssl.SSLSocket


def _run(sock: SSLSocket, op: Any, args: tuple[Any, ...], what: str) -> Any:
    g = current_g()
    timeout = _gettimeout(sock) if g is not None else 0.0
    if g is None or timeout == 0.0 or sock._sslobj is None:  # type: ignore[attr-defined]
        return op(*args)
    rc = sockio._conn(g, sock)
    if rc is None:
        return op(*args)
    deadline = sockio._deadline(g, timeout)
    while True:
        _settimeout(sock, 0.0)
        try:
            return op(*args)
        except ssl.SSLWantReadError:
            write = False
        except ssl.SSLWantWriteError:
            write = True
        finally:
            _settimeout(sock, timeout)  # CPython's mode for the descriptor, restored
        try:
            sockio._wait(rc, write, deadline)
        except TimeoutError:
            raise TimeoutError(f"The {what} operation timed out") from None


class SSLSocket(_Base):
    """SSLSocket is ``ssl.SSLSocket`` whose blocking operations park a goroutine."""

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        """read is ``SSLSocket.read``; a goroutine parks until a record has arrived."""
        sslobj = self._sslobj  # type: ignore[attr-defined]
        if buffer is None and sslobj is not None and sslobj.pending():
            return super().read(len)  # decrypted data waits: no I/O
        return _run(self, super().read, (len, buffer), "read")

    def write(self, data: Any) -> int:
        """write is ``SSLSocket.write``; a goroutine parks while the socket is full."""
        return _run(self, super().write, (data,), "write")  # type: ignore[no-any-return]

    def do_handshake(self, block: bool = False) -> None:
        """do_handshake is ``SSLSocket.do_handshake``; a goroutine parks between flights."""
        if current_g() is None:
            return super().do_handshake(block)
        return _run(self, super().do_handshake, (False,), "handshake")  # type: ignore[no-any-return]

    def unwrap(self) -> Any:
        """unwrap is ``SSLSocket.unwrap`` (TLS shutdown); a goroutine parks for the peer's reply."""
        return _run(self, super().unwrap, (), "unwrap")


PATCHES: list[tuple[Any, str, Any]] = [(ssl.SSLContext, "sslsocket_class", SSLSocket)]
