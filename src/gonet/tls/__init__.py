"""gonet.tls: TLS on gonet conns, layered as Go's ``crypto/tls`` is on ``net.Conn`` (go1.22).

A :class:`TLSConn` has the whole ``gonet.Conn`` API (read, read_into, write,
close, close_write, the deadline setters, addresses) plus the handshake and
what it negotiated. It drives an ``ssl.SSLObject`` through memory BIOs over
the gonet conn, so TLS parks goroutines and never blocks the thread. The
``SSLContext`` is the caller's, with everything it configures (certificates,
verification, ALPN, ``sni_callback``, versions, ciphers)::

    import ssl, gonet, gonet.tls

    def handle(conn):
        while data := conn.read():
            conn.write(data)

    def main():
        ctx = gonet.tls.server_context("cert.pem", "key.pem")
        with gonet.tls.listen("tcp", ":8443", ctx) as ln:
            ln.serve(handle)

    gonet.run(main)

This package sits above the facade: it uses ``import gonet`` only.
See ``docs/tls.md``.
"""

from __future__ import annotations

import ssl
from typing import Any

import gonet

from .config import client_context, server_context
from .conn import CLOSE_NOTIFY_TIMEOUT, ConnectionState, TLSConn
from .errors import TruncatedError
from .listener import TLSListener

__all__ = [
    "CLOSE_NOTIFY_TIMEOUT",
    "ConnectionState",
    "TLSConn",
    "TLSListener",
    "TruncatedError",
    "client",
    "client_context",
    "dial",
    "listen",
    "server",
    "server_context",
]


def server(conn: gonet.Conn, context: ssl.SSLContext) -> TLSConn:
    """server returns the server side of a TLS connection over ``conn`` (Go's ``tls.Server``).

    The handshake runs on the first read or write, or :meth:`TLSConn.handshake`.
    ``context`` must hold a certificate (or pick a context in its
    ``sni_callback``). Raises ``TypeError`` if it is not an ``SSLContext``.
    """
    return TLSConn(conn, context, True)


def client(conn: gonet.Conn, context: ssl.SSLContext, server_hostname: str | None = None, *,
           session: ssl.SSLSession | None = None) -> TLSConn:
    """client returns the client side of a TLS connection over ``conn`` (Go's ``tls.Client``).

    ``server_hostname`` is sent as SNI and checked against the certificate
    (an IP address is checked, not sent); ``context.check_hostname``
    requires it (``ValueError``). ``session`` resumes an earlier
    :attr:`TLSConn.session`. The handshake runs on the first read or write.
    """
    return TLSConn(conn, context, False, server_hostname, session)


def listen(network: str, address: Any, context: ssl.SSLContext, **kwargs: Any) -> TLSListener:
    """listen announces on a local address; its ``accept`` returns server :class:`TLSConn` s.

    Arguments as for :func:`gonet.listen` (extra keyword arguments go to it),
    plus the server ``context``. Accepting never waits for a handshake: it
    runs on each conn's first read or write, in the goroutine serving it.
    """
    if not isinstance(context, ssl.SSLContext):
        raise TypeError(f"context must be an ssl.SSLContext, not {type(context).__name__}")
    return TLSListener(gonet.listen(network, address, **kwargs), context)


def dial(network: str, address: Any, context: ssl.SSLContext, *,
         server_hostname: str | None = None, timeout: float | None = None,
         session: ssl.SSLSession | None = None) -> TLSConn:
    """dial connects to ``address`` and completes the TLS handshake (Go's ``tls.DialWithDialer``).

    ``server_hostname`` defaults to the host part of ``address`` (Go infers
    ``ServerName`` the same way). ``timeout`` bounds the connect and the
    handshake together; past it ``DeadlineExceededError`` (``None`` or ``0``:
    no timeout). Raises what :func:`gonet.dial` raises, and the handshake's
    errors (``ssl.SSLCertVerificationError`` ...); the conn is closed on any
    failure.
    """
    if not isinstance(context, ssl.SSLContext):
        raise TypeError(f"context must be an ssl.SSLContext, not {type(context).__name__}")
    deadline = None
    if timeout:
        if timeout != timeout:
            raise ValueError("dial timeout must be a number of seconds, not NaN")
        deadline = gonet.monotonic() + timeout
    conn = gonet.dial(network, address, timeout=timeout)
    try:
        if server_hostname is None:
            server_hostname = _host_of(conn, address)
        tc = TLSConn(conn, context, False, server_hostname, session)
        if deadline is not None:
            conn.set_deadline(deadline)
        tc.handshake()
        if deadline is not None:
            conn.set_deadline(None)
    except BaseException:
        conn.close()
        raise
    return tc


def _host_of(conn: gonet.Conn, address: Any) -> str | None:
    """The host part of a dial address, for SNI and the certificate check."""
    if conn.network.startswith("unix"):
        return None
    if isinstance(address, tuple):
        host = str(address[0])
    else:
        host, _ = gonet.split_host_port(str(address))
    return host or None
