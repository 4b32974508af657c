"""conn: one server connection and its request loop (Go's ``net/http/server.go`` conn.serve).

:class:`ServerConn` reads a request head, runs the handler, finishes the
response and repeats while the connection is kept alive; see
:mod:`gonet.http.server` for the deadlines it arms and why. It also carries
what the request body and the response writer need from the connection:
buffered input (``buf``), body reads under the read timeout, writes under
the write timeout, ``sendfile``, and the clean close after an error.

States: ``NEW`` (accepted, nothing read) → ``ACTIVE`` (a request is being
read or served) → ``IDLE`` (between keep-alive requests) → ``ACTIVE`` ...
Shutdown closes the connections that are not ``ACTIVE``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

import gonet

from . import response as _response
from ._h1 import ProtocolError, response_head
from ._h1.parse import RequestHead
from .request import EMPTY_BODY, Body, Request, _park_request, _refill_request
from .response import HeadCache, ResponseWriter
from .status import status_text

try:
    import cython
except ImportError:  # plain Python without Cython installed (Cython is a build dependency)
    from ._h1 import _cython as cython

if TYPE_CHECKING:
    from .server import Server

if not cython.compiled:
    # Compiled, _rewrite is the C function conn.pxd cimports, and the names response.py
    # defines are read at call time (_response.DISCARD_MAX): response.pxd cimports
    # ServerConn, so importing response first runs this module while response is still
    # being set up (only its types exist yet).
    from ._h1.parse import parse_into
    from .response import _rewrite

if not cython.compiled:  # compiled, this is the C function of conn.pxd (Py_REFCNT)

    def _refs(o: object) -> int:
        """How many references hold ``o``, the caller's own variable included (not this call's)."""
        return sys.getrefcount(o) - 2

__all__ = ["ACTIVE", "IDLE", "LINGER", "NEW", "ServerConn"]

log = logging.getLogger("gonet.http")

#: How long a connection closed after an error keeps draining the client's input.
LINGER = 0.5

#: ServerConn states.
NEW, ACTIVE, IDLE = 0, 1, 2

_DEADLINE = gonet.DeadlineExceededError

#: What the connection's RequestHead holds between requests (never changed: only serve reads it).
_NO_FIELDS: list[tuple[str, str]] = []
_NO_INDEX: dict[str, str] = {}

#: Go's answer to a plain-HTTP request on a TLS port (net/http/server.go, conn.serve).
_PLAIN_HTTP_ON_TLS = b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"


class ServerConn:
    """ServerConn is one accepted connection and its request loop (Go's ``http.conn``)."""

    __slots__ = ("access_log", "broken", "buf", "close_after", "conn", "head_cache", "max_body", "now",
                 "rdl", "remote", "requests", "server_line", "shutting_down", "srv", "started", "state",
                 "tls", "wdl", "write_conn", "writer", "wsgi_base", "wt")

    def __init__(self, srv: Server, conn: gonet.Conn) -> None:
        self.srv = srv
        self.conn = conn
        self.buf = b""
        self.state = NEW
        #: started: when the connection was accepted (shutdown spares a NEW one for 5 s).
        #: now: the runtime's clock (gonet.clock(): read per request, without finding the runtime).
        self.now = gonet.clock()
        self.started = self.now()
        self.close_after = False
        self.broken = False
        #: requests: how many this connection has answered (Server.requests adds them up).
        self.requests = 0
        #: rdl, wdl: the read and write deadlines set on the conn (runtime clock; rdl -1.0: none).
        self.rdl = -1.0
        self.wdl = 0.0
        # The server's settings read per request, copied once (a Server's settings are fixed
        # once it serves, as Go's): wt is the write timeout in seconds, -1.0 for none.
        wt = srv.write_timeout
        self.wt = float(wt) if wt is not None else -1.0
        self.max_body = srv.max_body_bytes
        self.access_log = srv.access_log
        self.server_line = srv.server_line
        #: shutting_down: the server's, kept up to date by it (Server.shutting_down's setter).
        self.shutting_down = srv.shutting_down
        #: write_conn: conn.write, looked up once.
        self.write_conn = conn.write
        self.remote = conn.remote_addr
        self.writer: ResponseWriter | None = None
        #: wsgi_base: the WSGI adapter's state for this connection (wsgi._Start: the environ
        #: entries its requests share, and their start_response).
        self.wsgi_base: Any = None
        #: head_cache: the last response's head up to its framing lines (ResponseWriter._send_head).
        self.head_cache = HeadCache()
        self.head_cache.dates = srv.date
        #: tls: the conn is a TLS conn (gonet.tls.TLSConn: it has a handshake), not a plain one.
        #: Its fileno() is the socket under the encryption: never sendfile to it.
        self.tls = type(conn) is not gonet.Conn and hasattr(conn, "handshake")

    # --- deadlines -----------------------------------------------------------------------

    def _set_read_deadline(self, t: float | None) -> None:
        self.rdl = t if t is not None else -1.0
        self.conn.set_read_deadline(t)

    # --- the request loop ----------------------------------------------------------------

    def _refuse_plain_http(self) -> None:
        """Answer a plain-HTTP request sent to the TLS port in plain text, as Go's net/http does.

        OpenSSL failed the handshake with ``HTTP_REQUEST`` (the first record
        header looks like ``GET /``) and sent no alert, so the text goes out
        on the conn under the TLS conn (Go's ``tls.RecordHeaderError.Conn``).
        """
        try:
            inner: gonet.Conn = self.conn.net_conn  # type: ignore[attr-defined]  # a TLSConn
            inner.write(_PLAIN_HTTP_ON_TLS)
        except OSError:
            pass

    def serve(self) -> None:
        """serve answers requests until the connection closes, times out or must not be reused."""
        srv = self.srv
        conn = self.conn
        read = conn.read  # (looked up once)
        # The timeouts in seconds, -1.0 for none (C doubles, compiled).
        rht = float(srv.read_header_timeout) if srv.read_header_timeout is not None else -1.0
        idle = float(srv.idle_timeout) if srv.idle_timeout is not None else -1.0
        handler = srv.handler
        mrl = srv.max_request_line
        mhb = srv.max_header_bytes
        mhf = srv.max_header_fields
        policy = srv.trust_forwarded
        trusted_peer = policy is not None and policy.trusts(self.remote)  # type: ignore[attr-defined]
        tls = self.tls
        scheme = "https" if tls else "http"
        if rht >= 0.0:
            self._set_read_deadline(self.now() + rht)
        header_deadline = True
        # The last request's Request and ResponseWriter, kept for the next request when
        # nothing but this loop held them (see the end of the loop).
        spare_req: Request | None = None
        spare_w: ResponseWriter | None = None
        # One head for all of this connection's requests, refilled by parse_into: nothing
        # but this loop holds it (the Request copies its fields).
        head = RequestHead.__new__(RequestHead)
        while True:
            # --- read one request head ---------------------------------------------------
            used = 0
            if self.buf:
                try:
                    used = parse_into(self.buf, head, mrl, mhb, mhf)
                except ProtocolError as e:
                    self.fail(e.status, e.reason)
                    return
            while not used:
                if self.buf:
                    if not header_deadline and rht >= 0.0:
                        self._set_read_deadline(self.now() + rht)
                        header_deadline = True
                elif not header_deadline:
                    if idle >= 0.0:
                        now = self.now()
                        rdl = self.rdl
                        if rdl < 0.0 or not now + idle <= rdl <= now + idle * 1.25:
                            self._set_read_deadline(now + idle * 1.25)
                    elif self.rdl >= 0.0:
                        self._set_read_deadline(None)  # no idle timeout: wait for ever
                try:
                    data = read(65536)
                except _DEADLINE:
                    if self.buf:
                        self.fail(408, "timeout reading request headers")
                    return
                except OSError as e:
                    if tls and getattr(e, "reason", None) == "HTTP_REQUEST":
                        self._refuse_plain_http()
                    return
                if not data:
                    return
                self.state = ACTIVE
                self.buf = self.buf + data if self.buf else data
                data = b""
                try:
                    used = parse_into(self.buf, head, mrl, mhb, mhf)
                except ProtocolError as e:
                    self.fail(e.status, e.reason)
                    return
            # (the whole buffer is the usual case: no slice)
            self.buf = self.buf[used:] if used < len(self.buf) else b""
            self.state = ACTIVE
            header_deadline = False
            # --- run the handler ---------------------------------------------------------
            cl = head.content_length
            if cl and self.max_body is not None and cl > self.max_body:
                self.fail(413, "request body too large")
                return
            self.close_after = self.shutting_down or not head.keep_alive
            body = Body(self, cl, head.chunked, head.expect_continue) if cl != 0 else EMPTY_BODY
            if spare_req is not None:
                req = spare_req
                spare_req = None
                _refill_request(req, head, body, self.remote, scheme, tls)
            else:
                req = Request(head, body, self.remote, scheme, tls)
            index = head.index
            if trusted_peer and ("x-forwarded-for" in index or "x-forwarded-proto" in index):
                policy(req)  # type: ignore[misc]
            if spare_w is not None:
                w = spare_w
                spare_w = None
                _rewrite(w, req)
            else:
                w = ResponseWriter(self, req)
            self.writer = w
            access_log = self.access_log
            start = self.now() if access_log is not None else 0.0
            try:
                handler(w, req)
                w._finish()
            except ProtocolError as e:
                if self.broken:
                    return
                if not w._head_sent:
                    self.fail(e.status, e.reason)
                return
            except Exception:
                if self.broken:
                    return  # the client went away mid-response: nothing to report
                srv.error_log.exception("http: panic serving %s: %s %s", self.remote,
                                        head.method, head.target)
                if not w._head_sent:
                    self.fail(500, "", log_it=False)
                return
            self.requests += 1
            if access_log is not None:
                srv.log_access(req, w, self.now() - start)
            # (EMPTY_BODY is always done: asking is only needed for a body of this request's own)
            if self.close_after or self.broken:
                if body is not EMPTY_BODY and not body.done and not self.broken:
                    self.close_write_and_wait()
                return
            if body is not EMPTY_BODY and not body.done and not self.discard_body(body):
                self.close_write_and_wait()
                return
            self.state = ACTIVE if self.buf else IDLE  # a pipelined request may be buffered
            if self.shutting_down:
                return
            # An idle connection keeps nothing of its last request alive while it parks.
            self.writer = None
            head.headers = _NO_FIELDS
            head.index = _NO_INDEX
            # Reuse the request and the writer (and their Headers) for the next request only
            # if no one else holds any of them: a handler may have kept r, w or their headers
            # (in a global, a goroutine ...), and what it sees must stay request N's.
            # Held here: req by this variable and w._req, w and both Headers by one each + rh/wh.
            rh = req.headers
            wh = w.headers
            if _refs(w) == 1 and _refs(req) == 2 and _refs(rh) == 2 and _refs(wh) == 2:
                _park_request(req)
                spare_req = req
                spare_w = w
            del w, req, body, rh, wh, index

    # --- helpers the body and the writer call ---------------------------------------------

    def fill_body(self) -> None:
        """fill_body reads more of the request body into ``buf``.

        Raises ProtocolError 400 at EOF, 408 on timeout.
        """
        rt = self.srv.read_timeout
        t = self.now() + rt if rt is not None else None
        if (t if t is not None else -1.0) != self.rdl:
            self._set_read_deadline(t)
        try:
            data = self.conn.read(65536)
        except _DEADLINE:
            self.close_after = True
            raise ProtocolError(408, "timeout reading request body") from None
        except OSError as e:
            self.close_after = True
            self.broken = True
            raise ProtocolError(400, f"error reading request body: {e}") from None
        if not data:
            self.close_after = True
            self.broken = True
            raise ProtocolError(400, "unexpected EOF in request body")
        self.buf = self.buf + data if self.buf else data

    def send_continue(self) -> None:
        """send_continue answers ``Expect: 100-continue`` before the first body read."""
        w = self.writer
        if w is None or not w._head_sent:
            self.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def write(self, data: bytes) -> None:
        """write sends ``data`` under the write timeout; a failure marks the connection broken."""
        wt = self.wt
        if wt >= 0.0:
            now = self.now()
            if self.wdl < now + wt:
                self.wdl = now + wt * 1.25
                self.conn.set_write_deadline(self.wdl)
        try:
            self.write_conn(data)
        except OSError:
            self.broken = True
            self.close_after = True
            raise

    def sendfile(self, fd: int, offset: int, count: int) -> None:
        """sendfile sends ``count`` bytes of ``fd`` from ``offset`` with ``os.sendfile``.

        The socket is non-blocking: on ``EAGAIN`` gonet's public API has no
        way to wait for writability alone, so the next piece goes through
        ``conn.write`` (which parks on the netpoller under the write deadline)
        and ``sendfile`` resumes after it.
        """
        end = offset + count
        if type(self.conn) is not gonet.Conn:  # TLS (or another wrapper): the bytes must go through it
            while offset < end:
                piece = os.pread(fd, min(end - offset, 262144), offset)
                if not piece:
                    self.broken = True
                    self.close_after = True
                    raise EOFError(f"http: file ended {end - offset} bytes early in sendfile")
                self.write(piece)
                offset += len(piece)
            return
        while offset < end:
            # Asked afresh each time: os.sendfile is not one of the conn's tracked
            # operations, so after a close elsewhere (while conn.write parked) the
            # number could already belong to another connection. -1 once closed.
            sock = self.conn.fileno()
            if sock < 0:
                self.broken = True
                raise gonet.ClosedError()
            try:
                n = os.sendfile(sock, fd, offset, min(end - offset, 1 << 22))
            except BlockingIOError:
                piece = os.pread(fd, min(end - offset, 262144), offset)
                if not piece:
                    n = 0
                else:
                    self.write(piece)
                    n = len(piece)
            except OSError:
                self.broken = True
                self.close_after = True
                raise
            if n == 0:
                self.broken = True
                self.close_after = True
                raise EOFError(f"http: file ended {end - offset} bytes early in sendfile")
            offset += n

    def discard_body(self, body: Body) -> bool:
        """discard_body reads and drops an unread body up to DISCARD_MAX; True if it reached the end."""
        if body.continue_pending:
            return False
        got = 0
        try:
            while got <= _response.DISCARD_MAX:
                chunk = body.read1(65536)
                if not chunk:
                    return True
                got += len(chunk)
        except (ProtocolError, OSError):
            return False
        return False

    def fail(self, status: int, reason: str, log_it: bool = True) -> None:
        """fail answers ``status`` with a short text body, then closes cleanly (closeWriteAndWait)."""
        text = f"{status} {status_text(status)}"
        body = (f"{text}: {reason}" if reason else text).encode("latin-1", "replace") + b"\n"
        extra = (self.srv.date.get() + "Content-Type: text/plain; charset=utf-8\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n")
        if log_it:
            log.debug("http: %s from %s: %s", status, self.remote, reason)
        try:
            self.write(response_head(1, status, [], extra) + body)
        except OSError:
            return
        self.close_write_and_wait()

    def close_write_and_wait(self) -> None:
        """close_write_and_wait half-closes, drains the client's input for LINGER seconds or to EOF."""
        conn = self.conn
        try:
            conn.close_write()
            conn.set_read_deadline(self.now() + LINGER)
            drained = 0
            while drained < (1 << 20):
                data = conn.read(65536)
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass
