"""info: what a TLS conn negotiated, and the inner conn's API passed through.

:class:`ConnInfo` is the read-only half of :class:`gonet.tls.TLSConn` (the
state machine itself lives in ``conn.py``): the negotiated parameters (Go's
``ConnectionState``) and the ``Conn`` methods that go straight to the inner
conn (addresses, deadlines, socket options).
"""

from __future__ import annotations

import dataclasses
import ssl
from typing import TYPE_CHECKING, Any

import gonet

__all__ = ["ConnInfo", "ConnectionState"]


@dataclasses.dataclass(frozen=True)
class ConnectionState:
    """ConnectionState is a snapshot of a TLS conn's negotiated parameters (Go's ``ConnectionState``)."""

    handshake_complete: bool
    version: str | None
    cipher: tuple[str, str, int] | None
    alpn_protocol: str | None
    server_hostname: str | None
    session_reused: bool
    peer_certificate: dict[str, Any] | None


class ConnInfo:
    """ConnInfo gives a TLS conn its negotiated parameters and the inner conn's pass-throughs."""

    # Set by TLSConn.__init__: the inner conn, the ssl.SSLObject, whether the handshake
    # completed, and the deadlines set through this conn (the write deadline also bounds
    # close_notify). Declared here, where both halves read them (info.pxd: C fields).
    __slots__ = ("_conn", "_hs_done", "_obj", "_rd", "_wd")

    if TYPE_CHECKING:
        _conn: gonet.Conn
        _obj: ssl.SSLObject
        _hs_done: bool
        _rd: float | None
        _wd: float | None

    # --- negotiated parameters -------------------------------------------------------

    @property
    def handshake_complete(self) -> bool:
        """handshake_complete reports whether the handshake has completed successfully."""
        return self._hs_done

    @property
    def server_side(self) -> bool:
        """server_side is ``True`` for the server end of the connection."""
        return self._obj.server_side

    @property
    def context(self) -> ssl.SSLContext:
        """context is the ``SSLContext`` in use (an SNI callback may have switched it)."""
        return self._obj.context

    @property
    def server_hostname(self) -> str | None:
        """server_hostname is the name a client asked for (SNI and certificate check); servers: ``None``."""
        return self._obj.server_hostname

    @property
    def alpn_protocol(self) -> str | None:
        """alpn_protocol is the protocol ALPN selected (``"h2"``, ``"http/1.1"`` ...), or ``None``."""
        return self._obj.selected_alpn_protocol()

    @property
    def version(self) -> str | None:
        """version is the negotiated protocol version (``"TLSv1.3"`` ...); ``None`` before the handshake."""
        return self._obj.version()

    @property
    def cipher(self) -> tuple[str, str, int] | None:
        """cipher is ``(name, protocol, secret bits)`` of the negotiated cipher suite, or ``None``."""
        return self._obj.cipher()

    @property
    def peer_certificate(self) -> dict[str, Any] | None:
        """peer_certificate is the verified peer certificate as ``SSLSocket.getpeercert()`` decodes it.

        ``None`` before the handshake or when the peer sent none; ``{}`` if
        it was not verified (``CERT_NONE``): then use :attr:`peer_certificate_der`.
        """
        if not self._hs_done:
            return None
        return self._obj.getpeercert()

    @property
    def peer_certificate_der(self) -> bytes | None:
        """peer_certificate_der is the peer certificate in DER form (verified or not), or ``None``."""
        if not self._hs_done:
            return None
        return self._obj.getpeercert(binary_form=True)

    def getpeercert(self, binary_form: bool = False) -> Any:
        """getpeercert is ``ssl.SSLSocket.getpeercert`` (dict, or DER bytes with ``binary_form``)."""
        return self.peer_certificate_der if binary_form else self.peer_certificate

    @property
    def session(self) -> ssl.SSLSession | None:
        """session is the TLS session, for resuming it: ``client(..., session=conn.session)``.

        With TLS 1.3 the server sends its session tickets after the
        handshake, so a client has a resumable session only once it has
        read some data.
        """
        return self._obj.session

    @property
    def session_reused(self) -> bool:
        """session_reused reports whether the handshake resumed a previous session."""
        return self._obj.session_reused

    def verify_client_post_handshake(self) -> None:
        """verify_client_post_handshake asks a TLS 1.3 client for its certificate now (server side).

        The request goes out with the next write; the client's reader
        answers it (its read sends the queued reply before parking again),
        and :attr:`peer_certificate` is set once this side has read the
        answer. Needs ``post_handshake_auth`` on the client's context and a
        verifying ``verify_mode`` on the server's. Raises ``ssl.SSLError``
        otherwise.
        """
        self._obj.verify_client_post_handshake()

    def connection_state(self) -> ConnectionState:
        """connection_state returns the negotiated parameters at once (Go's ``ConnectionState``)."""
        return ConnectionState(
            handshake_complete=self._hs_done, version=self.version, cipher=self.cipher,
            alpn_protocol=self.alpn_protocol, server_hostname=self.server_hostname,
            session_reused=self.session_reused, peer_certificate=self.peer_certificate)

    # --- the inner conn ---------------------------------------------------------------

    @property
    def net_conn(self) -> gonet.Conn:
        """net_conn is the conn underneath (Go's ``NetConn``); writing to it corrupts the stream."""
        return self._conn

    @property
    def local_addr(self) -> gonet.Addr | None:
        """local_addr is this end's address."""
        return self._conn.local_addr

    @property
    def remote_addr(self) -> gonet.Addr | None:
        """remote_addr is the peer's address."""
        return self._conn.remote_addr

    @property
    def network(self) -> str:
        """network is the inner conn's network (``tcp``, ``unix`` ...)."""
        return self._conn.network

    def set_deadline(self, t: float | None) -> None:
        """set_deadline sets the inner conn's read and write deadlines; they cover the handshake.

        ``t`` is an absolute ``gonet.monotonic()`` time or ``None``. After a
        write has timed out, the TLS stream is corrupt: every later write
        raises the same error (Go).
        """
        self._conn.set_deadline(t)
        self._rd = self._wd = None if t is None else float(t)

    def set_read_deadline(self, t: float | None) -> None:
        """set_read_deadline sets the inner conn's read deadline (see :meth:`set_deadline`)."""
        self._conn.set_read_deadline(t)
        self._rd = None if t is None else float(t)

    def set_write_deadline(self, t: float | None) -> None:
        """set_write_deadline sets the inner conn's write deadline; it also bounds close_notify."""
        self._conn.set_write_deadline(t)
        self._wd = None if t is None else float(t)

    def set_nodelay(self, flag: bool = True) -> None:
        """set_nodelay is the inner conn's ``set_nodelay`` (TCP only)."""
        self._conn.set_nodelay(flag)

    def set_keepalive(self, enable: bool = True, *, idle: float | None = None,
                      interval: float | None = None, count: int | None = None) -> None:
        """set_keepalive is the inner conn's ``set_keepalive`` (TCP only)."""
        self._conn.set_keepalive(enable, idle=idle, interval=interval, count=count)

    def close_read(self) -> None:
        """close_read shuts down the inner conn's reading side (TLS has no read-side alert)."""
        self._conn.close_read()

    def fileno(self) -> int:
        """fileno is the inner conn's descriptor (-1 once closed)."""
        return self._conn.fileno()
