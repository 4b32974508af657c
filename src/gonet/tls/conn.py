"""TLSConn: TLS over a gonet ``Conn`` (Go's ``crypto/tls/conn.go``, go1.22; docs/tls.md).

An :class:`ssl.SSLObject` does the protocol; two :class:`ssl.MemoryBIO`
carry its ciphertext, and the gonet conn underneath moves it. OpenSSL never
touches a socket, so TLS never blocks the thread: when it needs input the
goroutine parks in the inner conn's ``read_into`` like any other reader.

State and locks (Go's ``handshakeMutex``, ``in`` and ``out`` halfConns)::

    hs_mu   one handshake at a time; held around the whole handshake
    in_lk   the read side: the incoming BIO, the record tracker, sticky read error
    out_lk  the write side: the outgoing BIO's *drain* to the inner conn and
            the sticky write error; records leave in the order OpenSSL made them
    lock order: hs_mu -> in_lk -> out_lk (a reader only ever try-locks out_lk)
    in_lk/out_lk: lock.py's ConnLock, taken inline (no call) when uncontended

* Sticky errors: the handshake's, and every write error (the stream may end
  mid-record; Go's ``halfConn.setErrorLocked``); a read error unless it is a
  timeout (Go keeps ``Temporary`` errors retryable; the partial record waits).
* Reading may make OpenSSL queue records (a KeyUpdate reply, an alert). The
  reader sends them before parking only if it can take ``out_lk`` at once;
  otherwise the holder does, as every holder of ``out_lk`` drains the
  outgoing BIO before it lets go: bytes leave in order, a reader never waits
  for a writer.
* EOF: close_notify reads as ``b""``; a transport EOF without it raises
  :class:`TruncatedError` (with ``ssl.OP_IGNORE_UNEXPECTED_EOF``, Go's rule: a
  clean EOF at a record boundary). :class:`RecordTracker` knows which.
* ``close`` sends close_notify within the write deadline or 5 s (Go's
  ``closeNotify``), never waits for the peer's, skips it while a write is in
  flight, then closes the inner conn.
"""

from __future__ import annotations

import errno
import ssl
import threading
from types import TracebackType
from typing import Any

import gonet

from .errors import TruncatedError, again, closed_error, renegotiation_error, unexpected_eof
from .info import ConnectionState, ConnInfo
from .lock import ConnLock
from .readbuf import read_buffer
from .record import HEADER_LEN, RecordTracker

try:
    import cython
except ImportError:  # plain Python without Cython installed (Cython is a build dependency)
    from . import _cython as cython
if not cython.compiled:  # compiled, conn.pxd cimports lock.pxd's inline C call
    from .lock import thread_ident

__all__ = ["CLOSE_NOTIFY_TIMEOUT", "ConnectionState", "TLSConn"]

#: CLOSE_NOTIFY_TIMEOUT bounds sending the close_notify alert (Go's ``closeNotify``: 5 s).
CLOSE_NOTIFY_TIMEOUT = 5.0

#: Plaintext encrypted per step of a large write: bounds the ciphertext held in memory.
WRITE_CHUNK = 256 * 1024

#: MAX_PLAINTEXT is the most plaintext one TLS record carries (RFC 8446 5.1: 2^14 bytes).
MAX_PLAINTEXT = 16384

_EOF: Any = object()  # the sticky read state after close_notify (or Go's boundary EOF)


class TLSConn(ConnInfo):
    """TLSConn is a TLS connection over a gonet ``Conn``, with the whole ``Conn`` API.

    Create one with :func:`gonet.tls.server`, :func:`gonet.tls.client`,
    :func:`gonet.tls.dial` or a :func:`gonet.tls.listen` listener. The
    handshake runs on the first ``read``/``write`` (or :meth:`handshake`);
    every call parks only the calling goroutine, and the inner conn's
    deadlines (set through this conn) cover the handshake too. Usable as a
    context manager (closes on exit).
    """

    __slots__ = (
        "__weakref__", "_buf", "_closed", "_cn_err", "_cn_sent", "_conn_read_into", "_conn_write",
        "_context", "_go_eof", "_hs_err", "_hs_mu", "_in", "_in_lk", "_in_write", "_out", "_out_lk",
        "_out_read", "_rb", "_rec", "_rerr", "_ssl", "_ssl_pending", "_ssl_read", "_ssl_write",
        "_tid", "_werr",
    )

    def __init__(self, conn: gonet.Conn, context: ssl.SSLContext, server_side: bool,
                 server_hostname: str | None = None,
                 session: ssl.SSLSession | None = None) -> None:
        if not isinstance(context, ssl.SSLContext):
            raise TypeError(f"context must be an ssl.SSLContext, not {type(context).__name__}")
        if not server_side and context.check_hostname and not server_hostname:
            # Go: "either ServerName or InsecureSkipVerify must be specified"
            raise ValueError("tls: check_hostname requires server_hostname")
        self._conn = conn
        self._context = context
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._obj = context.wrap_bio(self._in, self._out, server_side=server_side,
                                     server_hostname=server_hostname, session=session)
        # The hot calls go to the C object under the SSLObject (its Python wrappers add a frame
        # each and do nothing else), through bound methods looked up once, as uvloop's sslproto
        # does: a call by name costs a type lookup and a binding, ~1 k instructions a round trip.
        s = self._ssl = getattr(self._obj, "_sslobj", self._obj)
        self._ssl_read, self._ssl_write, self._ssl_pending = s.read, s.write, s.pending
        self._in_write, self._out_read = self._in.write, self._out.read
        self._conn_read_into, self._conn_write = conn.read_into, conn.write
        self._rb = read_buffer()
        self._buf = self._rb.buf  # a bytearray: gonet.Conn.read_into takes it unchecked
        self._rec = RecordTracker()
        self._go_eof = bool(context.options & getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0))
        self._tid = threading.get_ident()  # the owning runtime's: only it takes the locks
        self._hs_mu = gonet.Mutex()
        self._in_lk = ConnLock(self._tid, "read")  # read and write locks: see lock.py
        self._out_lk = ConnLock(self._tid, "write")
        self._hs_done = False
        self._hs_err: BaseException | None = None
        self._rerr: Any = None  # None, _EOF or the sticky read error
        self._werr: BaseException | None = None
        self._cn_sent = False
        self._cn_err: BaseException | None = None
        self._closed = False
        self._rd: float | None = None  # the deadlines set through this conn
        self._wd: float | None = None

    def __repr__(self) -> str:
        side = "server" if self._obj.server_side else "client"
        return (f"<gonet.tls.TLSConn {side} {self._conn.local_addr}->{self._conn.remote_addr} "
                f"{self._obj.version() or 'handshake pending'}>")

    # --- handshake -------------------------------------------------------------------

    def handshake(self) -> None:
        """handshake runs the TLS handshake if it has not run yet; the first read or write calls it.

        Parks while waiting for the peer, bounded by the conn's deadlines.
        Its error is sticky: every later call (and every read and write)
        raises it again. Raises ``ssl.SSLError`` subclasses for protocol
        failures (a certificate check, garbage instead of a ClientHello ...),
        :class:`TruncatedError` if the peer hangs up first,
        ``DeadlineExceededError``, ``ClosedError`` and the inner conn's
        ``OSError`` subclasses.
        """
        if self._hs_done:
            return
        self._hs_mu.lock()
        try:
            if self._hs_err is not None:
                raise again(self._hs_err)
            if self._hs_done:
                return
            if self._closed:
                raise closed_error("handshake", self._conn)
            self._in_lk.lock()
            self._out_lk.lock()
            try:
                self._run_handshake()
            except Exception as e:
                self._hs_err = e
                raise
            finally:
                self._out_lk.unlock()
                self._in_lk.unlock()
        finally:
            self._hs_mu.unlock()

    def _run_handshake(self) -> None:
        obj = self._obj
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._drain()
                n = self._conn.read_into(self._buf)
                if n == 0:
                    raise TruncatedError(
                        "tls: handshake: the peer closed the connection before completing it",
                        mid_record=not self._rec.at_boundary(), during_handshake=True) from None
                self._feed(n)
            except ssl.SSLError:
                # Send the alert OpenSSL queued, best effort (Go's handshakeContext: c.flush()).
                try:
                    self._drain()
                except OSError:
                    pass
                raise
        self._drain()  # the client's Finished, the server's session tickets
        self._hs_done = True

    # --- read ------------------------------------------------------------------------

    def read(self, n: int = 65536) -> bytes:
        """read returns up to ``n`` bytes of plaintext, parking until at least one is available.

        Runs the handshake first if needed. Returns ``b""`` once the peer
        has sent close_notify. Raises :class:`TruncatedError` if the transport
        ends without it (see the module docs for ``OP_IGNORE_UNEXPECTED_EOF``),
        ``ssl.SSLError`` for a protocol failure (sticky),
        ``DeadlineExceededError`` once the read deadline has passed (not
        sticky: a later read continues the record), ``ClosedError`` once the
        conn is closed, and the inner conn's ``OSError`` subclasses.
        """
        if not self._hs_done:
            self.handshake()
        if n <= 0:
            if n < 0:
                raise ValueError(f"read: negative size {n}")
            return b""  # Go: Read(nil) after the handshake returns 0, nil
        if n > MAX_PLAINTEXT:  # one SSL_read returns at most one record
            n = MAX_PLAINTEXT
        lk = self._in_lk  # lk.lock(), inlined (lock.py)
        if lk.state or thread_ident() != lk.tid:
            lk.lock_slow()
        else:
            lk.state = 1
        try:
            return self._read_locked(n, None)  # type: ignore[no-any-return]
        finally:
            if lk.state == 1:
                lk.state = 0
            else:
                lk.unlock_slow()

    def read_into(self, buffer: Any) -> int:
        """read_into is :meth:`read` into a writable buffer; returns the byte count, 0 at EOF."""
        if not self._hs_done:
            self.handshake()
        n = memoryview(buffer).nbytes
        if n == 0:
            return 0
        lk = self._in_lk
        lk.lock()
        try:
            return self._read_locked(n, buffer)  # type: ignore[no-any-return]
        finally:
            lk.unlock()

    def _read_locked(self, n: int, buffer: Any) -> Any:  # bytes, or an int with a buffer
        inc = self._in
        rec = self._rec
        m = n  # what to ask OpenSSL for: n, or less when the plaintext is known to be shorter
        while True:
            if self._rerr is not None:
                if self._rerr is _EOF:
                    return b"" if buffer is None else 0
                raise again(self._rerr)
            if self._closed:
                raise closed_error("read", self._conn)
            # Call into OpenSSL only when it can make progress: plaintext left
            # over, or a complete record in the BIO (see record.py). No
            # SSLWantReadError is raised per read on the common path.
            if inc.pending > rec.partial or self._ssl_pending():
                try:
                    data = self._ssl_read(m) if buffer is None else self._ssl_read(m, buffer)
                except ssl.SSLWantReadError:
                    m = n  # a record without application data (a ticket, a KeyUpdate)
                except ssl.SSLZeroReturnError:  # close_notify after our own
                    self._rerr = _EOF
                    continue
                except ssl.SSLError as e:
                    self._rerr = e
                    self._flush_from_reader()  # the alert OpenSSL queued
                    raise
                else:
                    if self._out.pending:
                        self._flush_from_reader()
                    if data:
                        return data
                    self._rerr = _EOF  # b"" / 0: the peer's close_notify
                    continue
            # Need more ciphertext: first send what OpenSSL queued (the peer may wait for it).
            if self._out.pending:
                self._flush_from_reader()
            buf = self._buf
            try:
                k = self._conn_read_into(buf)
            except gonet.DeadlineExceededError:
                raise  # retryable: the partial record stays in the BIO (Go: Temporary)
            except OSError as e:
                self._rerr = e
                raise
            if k == 0:
                self._transport_eof()
                continue
            rb = self._rb
            if k != rb.cut_len:
                rb.cut = rb.mv[:k]
                rb.cut_len = k
            self._in_write(rb.cut)
            body = k - HEADER_LEN
            if rec.partial or body < 0 or body != ((buf[3] << 8) | buf[4]):
                rec.feed(buf, k)
                m = n
            elif body < n:
                # Exactly one whole record (the common case) leaves the tracker at a
                # boundary, and its plaintext is shorter than its body: asking for no
                # more spares _ssl a 16 KiB allocation it would shrink again.
                m = body if body else 1
            else:
                m = n

    def _feed(self, n: int) -> None:
        self._in.write(self._rb.mv[:n])
        self._rec.feed(self._buf, n)

    def _transport_eof(self) -> None:
        at_boundary = self._rec.at_boundary()
        if at_boundary and self._go_eof:
            self._rerr = _EOF  # Go's rule: EOF at a record boundary is a clean EOF
            return
        err = self._rerr = unexpected_eof(at_boundary)
        raise err

    def _flush_from_reader(self) -> None:
        """Send what OpenSSL queued while reading, if no one else holds the write side."""
        lk = self._out_lk
        if not lk.try_lock():
            return  # the holder drains the whole outgoing BIO before unlocking
        try:
            if self._werr is None:
                try:
                    self._drain()
                except OSError as e:
                    self._werr = e  # the write side is broken; reads go on
        finally:
            lk.unlock()

    # --- write -----------------------------------------------------------------------

    def write(self, data: Any) -> int:
        """write encrypts and writes all of ``data``; returns ``len(data)`` in bytes.

        Runs the handshake first if needed. Parks while the inner conn's
        buffer is full, bounded by the write deadline. Every exception it
        raises has ``written``, the plaintext bytes already sent. An error is
        sticky (the record stream may be cut mid-record, Go's "the TLS state
        is corrupt"): every later write raises a copy of it. After
        :meth:`close_write` it raises ``BrokenPipeError`` ("tls: protocol is
        shutdown").
        """
        if not self._hs_done:
            try:
                self.handshake()
            except OSError as e:
                e.written = 0  # type: ignore[attr-defined]
                raise
        lk = self._out_lk  # lk.lock(), inlined (lock.py)
        if lk.state or thread_ident() != lk.tid:
            lk.lock_slow()
        else:
            lk.state = 1
        try:
            if (type(data) is bytes and self._werr is None and not self._closed
                    and not self._cn_sent and 0 < len(data) <= WRITE_CHUNK):
                # The common case, inlined: one SSL_write, then drain the BIO.
                try:
                    self._ssl_write(data)
                    self._conn_write(self._out_read())  # at least one record
                    while self._out.pending:  # a reader's (KeyUpdate reply) while we parked
                        self._conn_write(self._out_read())
                except ssl.SSLWantReadError:
                    self._renegotiation(0)
                except OSError as e:
                    e.written = 0  # type: ignore[attr-defined]
                    self._werr = e
                    raise
                return len(data)
            return self._write_locked(data)
        finally:
            if lk.state == 1:
                lk.state = 0
            else:
                lk.unlock_slow()

    def _write_locked(self, data: Any) -> int:
        if self._werr is not None:
            raise again(self._werr)
        if self._closed:
            raise closed_error("write", self._conn)
        if self._cn_sent:
            err = BrokenPipeError(errno.EPIPE, "tls: protocol is shutdown")
            err.written = 0  # type: ignore[attr-defined]
            raise err
        if not isinstance(data, bytes):
            data = memoryview(data).cast("B")
        total = len(data)
        if total == 0:
            return 0  # Go: no record for an empty write
        mv = memoryview(data)
        off = 0
        try:
            while off < total:
                end = off + WRITE_CHUNK
                self._ssl_write(mv[off:end])
                self._drain()
                off = min(end, total)
            return total
        except ssl.SSLWantReadError:
            self._renegotiation(off)
        except OSError as e:
            e.written = off  # type: ignore[attr-defined]
            self._werr = e
            raise
        raise AssertionError("unreachable")

    def _renegotiation(self, written: int) -> None:
        err = self._werr = renegotiation_error(written)  # Go's server refuses it too
        raise err from None

    def _drain(self) -> None:
        """Write everything in the outgoing BIO to the inner conn (caller holds out_lk)."""
        out = self._out
        while out.pending:
            self._conn_write(self._out_read())

    # --- close -----------------------------------------------------------------------

    def close(self) -> None:
        """close sends close_notify (if the handshake completed) and closes the inner conn; idempotent.

        Sending is bounded by the write deadline or 5 s, whichever is
        earlier; close never waits for the peer's close_notify (TLS 1.3 peers
        need not answer). As in Go, the alert is skipped while a write is in
        flight (close is then what breaks that write) or after a write error.
        A failure to send it is not raised (Go returns it, adding "but
        connection was closed anyway"): the conn is closed either way.
        Goroutines parked in ``read``/``write`` wake with ``ClosedError``.
        From another thread it only closes the inner conn (handed to its
        runtime, no close_notify: only that runtime may take the write lock).
        """
        if self._closed:
            return
        self._closed = True
        if threading.get_ident() != self._tid:
            return self._conn.close()
        # Go's activeCall interlock: a held out_lk is a write in flight; close breaks it, no alert.
        if (self._hs_done and not self._cn_sent and self._werr is None
                and not self._out_lk.locked()):
            try:
                self._close_notify()
            except OSError:
                pass
        self._conn.close()

    def close_write(self) -> None:
        """close_write sends close_notify: the peer reads EOF, this side can still read.

        As Go's ``CloseWrite``: only after the handshake has completed
        (before it: ``OSError(ENOTCONN)``), and the inner conn is not shut
        down. Later writes raise ``BrokenPipeError``. Raises the error of
        sending the alert (again on a second call).
        """
        if not self._hs_done:
            raise OSError(errno.ENOTCONN, "tls: close_write called before handshake complete")
        self._close_notify()

    def _close_notify(self) -> None:
        lk = self._out_lk
        lk.lock()
        try:
            if not self._cn_sent:
                self._cn_sent = True
                try:
                    self._send_close_notify()
                except OSError as e:
                    self._cn_err = e
            if self._cn_err is not None:
                raise again(self._cn_err)
        finally:
            lk.unlock()

    def _send_close_notify(self) -> None:
        conn = self._conn
        if self._werr is not None:
            raise again(self._werr)
        bound = gonet.monotonic() + CLOSE_NOTIFY_TIMEOUT
        wd = self._wd
        conn.set_write_deadline(bound if wd is None or wd > bound else wd)
        try:
            try:
                self._obj.unwrap()  # queues close_notify; returns once the peer's arrived
            except ssl.SSLWantReadError:
                pass  # the peer's close_notify has not arrived: we do not wait for it
            self._drain()
        finally:
            if not conn.closed():
                conn.set_write_deadline(wd)

    def closed(self) -> bool:
        """closed reports whether ``close()`` has been called."""
        return self._closed

    def __enter__(self) -> TLSConn:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
