"""config: ``SSLContext`` helpers with Go's ``crypto/tls`` defaults (go1.22).

Optional: every gonet.tls function takes any ``ssl.SSLContext`` the caller
configured. These two build the common ones: TLS 1.2 as the minimum version
(Go's default for both sides since 1.22), ALPN protocols if given, and for
the server the certificate chain.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence

__all__ = ["client_context", "server_context"]


def server_context(certfile: str, keyfile: str | None = None, *,
                   password: str | bytes | Callable[[], str | bytes] | None = None,
                   alpn_protocols: Sequence[str] | None = None,
                   go_eof: bool = False) -> ssl.SSLContext:
    """server_context returns a server ``SSLContext`` with the certificate chain in ``certfile``.

    ``keyfile`` defaults to the key inside ``certfile``. ``alpn_protocols``
    lists the protocols the server accepts, in its order of preference
    (``["h2", "http/1.1"]``). ``go_eof`` sets ``ssl.OP_IGNORE_UNEXPECTED_EOF``,
    which gonet.tls reads as Go's rule: a transport EOF at a TLS record
    boundary without close_notify is a clean EOF (an HTTP server wants that:
    many clients hang up without close_notify). Raises ``ssl.SSLError`` or
    ``OSError`` when the files cannot be loaded.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(certfile, keyfile, password)
    if alpn_protocols:
        ctx.set_alpn_protocols(list(alpn_protocols))
    if go_eof:
        ctx.options |= ssl.OP_IGNORE_UNEXPECTED_EOF
    return ctx


def client_context(cafile: str | None = None, *, alpn_protocols: Sequence[str] | None = None,
                   verify: bool = True) -> ssl.SSLContext:
    """client_context returns a client ``SSLContext`` that verifies the server certificate and name.

    ``cafile`` names the trusted CA certificates (default: the system's).
    ``alpn_protocols`` lists the protocols to offer. ``verify=False`` turns
    verification off (Go's ``InsecureSkipVerify``; for tests only).
    """
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if alpn_protocols:
        ctx.set_alpn_protocols(list(alpn_protocols))
    return ctx
