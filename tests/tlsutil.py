"""Helpers shared by the gonet.tls tests: certificates (trustme), contexts, a hand-driven peer."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

import gonet


@dataclass
class Certs:
    """Certs is a throw-away CA with a server certificate for localhost, 127.0.0.1 and ::1."""

    ca: trustme.CA
    server: trustme.LeafCert
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self, alpn: list[str] | None = None,
                       leaf: trustme.LeafCert | None = None) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        (leaf or self.server).configure_cert(ctx)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx

    def client_context(self, alpn: list[str] | None = None) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx


def make_certs(directory: Path) -> Certs:
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1", "::1")
    ca_file = directory / "ca.pem"
    cert_file = directory / "cert.pem"
    key_file = directory / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server.private_key_pem.write_to_path(str(key_file))
    with open(cert_file, "wb") as f:
        for blob in server.cert_chain_pems:
            f.write(blob.bytes())
    return Certs(ca, server, ca_file, cert_file, key_file)


class RawTLSPeer:
    """RawTLSPeer is a TLS client run by hand over a plain gonet conn (OpenSSL via SSLObject).

    The test decides what ciphertext goes on the wire: a record cut in the
    middle, EOF without close_notify ...
    """

    def __init__(self, conn: gonet.Conn, context: ssl.SSLContext, server_hostname: str) -> None:
        self.conn = conn
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = context.wrap_bio(self.inc, self.out, server_hostname=server_hostname)

    def handshake(self) -> None:
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                data = self.conn.read()
                assert data, "server hung up during the handshake"
                self.inc.write(data)
        self.flush()

    def flush(self) -> None:
        if self.out.pending:
            self.conn.write(self.out.read())

    def records(self, data: bytes) -> bytes:
        """records returns the ciphertext of ``data`` without sending it."""
        self.obj.write(data)
        return self.out.read()

    def read_plain(self) -> bytes:
        """read_plain returns the next plaintext, b"" at close_notify."""
        while True:
            try:
                return self.obj.read(65536)
            except ssl.SSLWantReadError:
                self.flush()
                data = self.conn.read()
                if not data:
                    raise ssl.SSLEOFError("raw peer: EOF") from None
                self.inc.write(data)
