"""response: the ResponseWriter a handler writes to (Go's ``net/http/server.go`` response, chunkWriter).

Framing is decided when the head goes out, as in Go:

* the handler declared ``Content-Length`` → that (writing more raises
  :class:`ContentLengthError`; writing less closes the connection after);
* the handler returned with the whole body still buffered → the server
  adds ``Content-Length`` itself (head and body leave in one ``write``);
* the head had to go out before the end (``flush()``, or more than
  ``FLUSH_AT`` buffered) → ``Transfer-Encoding: chunked`` for HTTP/1.1, or
  for HTTP/1.0 a body delimited by closing the connection;
* ``HEAD`` and 1xx/204/304 → no body is written (for ``HEAD`` what the
  handler writes is counted and dropped; for 204/304 writing a body raises
  :class:`BodyNotAllowedError`).

The head and the first body bytes always leave in the same ``conn.write``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ._h1 import LAST_CHUNK
from ._h1.serialize import response_head
from .request import EMPTY_BODY, trusted_headers

try:
    import cython
except ImportError:  # plain Python without Cython installed (Cython is a build dependency)
    from ._h1 import _cython as cython

if TYPE_CHECKING:
    from ._h1.serialize import DateCache
    from .conn import ServerConn
    from .request import Request

__all__ = ["BodyNotAllowedError", "ContentLengthError", "HeadCache", "ResponseWriter"]

#: Bytes buffered before the writer sends them on its own (then the response is chunked).
FLUSH_AT = 65536
#: Bodies larger than this are not copied into the head's buffer (a second write is cheaper).
COALESCE_MAX = 262144
#: An unread request body up to this size is read and dropped to keep the connection (Go's
#: maxPostHandlerReadBytes).
DISCARD_MAX = 262144
#: The head's last line for a body of n bytes on a kept-alive HTTP/1.1 connection, by n.
_CL_TAILS: dict[int, bytes] = {}
#: Content-Length values a handler declared, already checked, by value (bounded as _CL_TAILS).
_DECLARED: dict[str, int] = {}


class BodyNotAllowedError(RuntimeError):
    """BodyNotAllowedError: a body was written for a status without one (1xx, 204, 304).

    Go's ErrBodyNotAllowed.
    """


class ContentLengthError(RuntimeError):
    """ContentLengthError: more body was written than the declared ``Content-Length``.

    Go's ErrContentLength.
    """


class HeadCache:
    """HeadCache keeps a connection's last response head up to its framing lines, as bytes.

    ``prefix`` (status line, the handler's header pairs, ``Date``, ``Server``)
    is reused while status, reason, protocol minor, the header pairs (compared
    by value), the ``Date`` line (the same str object within a second,
    :class:`~gonet.http._h1.serialize.DateCache`) and the server's ``Server``
    line are those it was built from. ``head`` is ``prefix`` joined with the
    framing lines ``end`` (kept while both are the same objects: one bytes per
    response instead of a join).
    """

    __slots__ = ("date", "dates", "end", "head", "items", "minor", "prefix", "reason", "server", "status")

    def __init__(self) -> None:
        #: dates: the server's DateCache (set by the connection), read without going through it.
        self.dates: DateCache | None = None
        self.prefix = b""
        self.end: bytes | None = None
        self.head = b""
        self.items: list[tuple[str, str]] | None = None
        self.date: str | None = None
        self.status = 0
        self.minor = -1
        self.reason: str | None = None
        self.server: str | None = None


if not cython.compiled:  # compiled, this is the C copy of response.pxd

    def _join2(a: bytes, b: bytes) -> bytes:
        """``a + b`` (compiled: one allocation and two memcpy, not the buffer protocol's concat)."""
        return a + b


def _same_pairs(last: list[tuple[str, str]] | None, items: list[tuple[str, str]]) -> bool:
    """Whether ``items`` equals ``last``: pairs that are, or hold, the same objects (the common
    case: a handler setting its constant strs), else compared by value."""
    if last is None:
        return False
    n = len(items)
    if n != len(last):
        return False
    for i in range(n):
        a = items[i]
        b = last[i]
        if a is b:
            continue
        # (same objects are equal; anything else, or any doubt, is compared by value)
        if (type(a) is not tuple or type(b) is not tuple or len(a) != 2 or len(b) != 2
                or a[0] is not b[0] or a[1] is not b[1]):
            return last == items
    return True


def _rewrite(w: ResponseWriter, req: Request) -> None:
    """Start ``w`` over for the next request of its connection (conn.py's reuse).

    Only called when nothing but the server holds the writer and its headers.
    """
    h = w.headers
    h._items = []
    h._index = None
    w._reset(w._sc, req)


class ResponseWriter:
    """ResponseWriter builds the response to one request (Go's ``http.ResponseWriter``).

    Set ``headers`` before the first :meth:`write` or :meth:`write_header`.
    :meth:`write` buffers (an implicit ``write_header(200)`` first);
    :meth:`flush` sends what is buffered; :meth:`sendfile` sends a file with
    ``os.sendfile``. Writes park the goroutine while the client is slow and
    raise the connection's error (``BrokenPipeError``, ``DeadlineExceededError``
    past the write timeout ...) if it is gone: let it propagate, the server
    closes the connection quietly.
    """

    __slots__ = ("_chunked", "_declared", "_head", "_head_sent", "_no_body", "_pending",
                 "_pending_len", "_req", "_sc", "_sent_items", "headers", "reason", "status", "written")

    def __init__(self, sc: ServerConn, req: Request) -> None:
        self.headers = trusted_headers([], None)
        #: _pending: the body bytes not sent yet; one list for the writer's whole life (it never
        #: leaves the writer), emptied rather than replaced.
        self._pending: list[bytes] = []
        self._reset(sc, req)

    def _reset(self, sc: ServerConn, req: Request) -> None:
        self._sc = sc
        self._req = req
        # The header fields fixed by write_header (or the first write): the head is
        # built from them, so later changes to ``headers`` have no effect (Go).
        self._sent_items: list[tuple[str, str]] = []
        #: status is the status code written (``None`` until write_header or the first write).
        self.status: int | None = None
        #: reason replaces the standard reason phrase in the status line when set.
        self.reason: str | None = None
        #: written counts the body bytes the handler wrote.
        self.written = 0
        self._head_sent = False
        self._head = req.method == "HEAD"
        self._no_body = False
        self._chunked = False
        self._declared: int | None = None
        if self._pending:  # (emptied after every send: not after an error)
            del self._pending[:]
        self._pending_len = 0

    @property
    def head_sent(self) -> bool:
        """head_sent tells whether the status line and headers have gone out."""
        return self._head_sent

    def write_header(self, status: int) -> None:
        """write_header fixes the status code; header changes after it are ignored, as in Go.

        A second call is ignored (logged, as Go's "superfluous WriteHeader").
        1xx codes other than 101 are sent at once as informational responses
        and may repeat. ``ValueError`` for a code outside 100-999.
        """
        if type(status) is not int or not 100 <= status <= 999:
            raise ValueError(f"invalid WriteHeader code {status!r}")
        if self.status is not None:
            self._sc.srv.error_log.warning("http: superfluous write_header call (status %d)", status)
            return
        if 100 <= status < 200 and status != 101:
            if not self._head_sent and self._req.proto_minor >= 1:
                self._sc.write(response_head(1, status, self.headers._items, ""))
            return
        self._start(status, self.headers._items)

    def _start(self, status: int, items: list[tuple[str, str]]) -> None:
        """Fix status and headers: find the declared framing and Connection in ``items``."""
        self.status = status
        self._no_body = status < 200 or status == 204 or status == 304
        drop = False
        for name, value in items:
            c = name[0]
            if c in "cC" and len(name) == 14 and (name == "Content-Length"
                                                   or name.lower() == "content-length"):
                n = _DECLARED.get(value)
                if n is None:
                    v = value.strip()
                    if not v.isdigit() or not v.isascii():
                        raise ValueError(f"invalid Content-Length {value!r}")
                    n = int(v)
                    if len(_DECLARED) < 4096:
                        _DECLARED[value] = n
                self._declared = n
            elif c in "cC" and len(name) == 10 and name.lower() == "connection":
                if "close" in value.lower():
                    self._sc.close_after = True
            elif c in "tT" and name.lower() == "transfer-encoding":
                drop = True  # the server frames the body itself
        if drop:
            items = [(k, v) for k, v in items if k.lower() != "transfer-encoding"]
        self._sent_items = items
        h = self.headers
        h._items = list(items)  # the handler's later changes go to a copy

    def _start_checked(self, status: int, reason: str | None, items: list[tuple[str, str]],
                       declared: int | None) -> None:
        """Fix status and headers already checked by the WSGI layer (no hop-by-hop, length parsed).

        ``reason`` is ``None`` for the standard reason phrase of ``status``.
        """
        self.status = status
        self.reason = reason
        self._no_body = status < 200 or status == 204 or status == 304
        self._declared = declared
        h = self.headers
        self._sent_items = h._items = items

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """write appends ``data`` to the body and returns its length.

        Buffers up to ``FLUSH_AT`` bytes before sending. Raises
        :class:`ContentLengthError` past a declared ``Content-Length``,
        :class:`BodyNotAllowedError` for a 1xx/204/304 response.
        """
        if self.status is None:
            self._start(200, self.headers._items)
        n = len(data)
        if not n:
            return 0
        if self._no_body:
            raise BodyNotAllowedError("http: request method or response status code does not allow body")
        declared = self._declared
        if declared is not None and self.written + n > declared:
            raise ContentLengthError("http: wrote more than the declared Content-Length")
        self.written += n
        if self._head:
            return n
        self._pending.append(data if type(data) is bytes else bytes(data))
        self._pending_len += n
        if self._pending_len >= FLUSH_AT:
            self.flush()
        return n

    def flush(self) -> None:
        """flush sends the head (if not sent yet) and the buffered body now.

        Without a declared length the response becomes chunked (HTTP/1.1) or
        close-delimited (HTTP/1.0).
        """
        if self.status is None:
            self._start(200, self.headers._items)
        if not self._head_sent:
            self._send_head(False)
        elif self._pending:
            self._sc.write(self._take_body())

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """sendfile sends ``count`` bytes of ``file`` (a file object or descriptor) from ``offset``.

        Uses ``os.sendfile`` on the socket, parking while the client is slow.
        Without a declared length and with nothing written before, it sets
        ``Content-Length`` to ``count`` (default: the rest of the file).
        Returns the bytes sent.
        """
        fd = file if isinstance(file, int) else file.fileno()
        if count is None:
            count = max(0, os.fstat(fd).st_size - offset)
        if self.status is None:
            self._start(200, self.headers._items)
        if self._no_body:
            if count:
                raise BodyNotAllowedError("http: request method or response status code does not allow body")
            return 0
        declared = self._declared
        if declared is not None and self.written + count > declared:
            raise ContentLengthError("http: wrote more than the declared Content-Length")
        if not self._head_sent and declared is None and not self._pending_len:
            self._declared = count
            self._sent_items.append(("Content-Length", str(count)))
        self.written += count
        if self._head:
            return count
        if not count:
            return 0
        self.flush()
        sc = self._sc
        if self._chunked:
            sc.write(b"%x\r\n" % count)
        sc.sendfile(fd, offset, count)
        if self._chunked:
            sc.write(b"\r\n")
        return count

    # --- internals (the server calls these) --------------------------------------------

    def _take_body(self) -> bytes:
        pending = self._pending
        body = pending[0] if len(pending) == 1 else b"".join(pending)
        del pending[:]
        self._pending_len = 0
        if self._chunked:
            return b"%x\r\n%b\r\n" % (len(body), body)
        return body

    def _send_head(self, final: bool) -> None:
        sc = self._sc
        srv = sc.srv
        req = self._req
        minor = req.proto_minor
        status = self.status or 200
        reason = self.reason
        items = self._sent_items
        hc: HeadCache = sc.head_cache
        dates = hc.dates
        date = dates.get() if dates is not None else srv.date.get()
        # The head up to the framing lines, as bytes: the same as the last response's of this
        # connection when status, reason, header pairs and the (per-second) Date line are.
        server = sc.server_line
        if (hc.date is date and hc.status == status and hc.minor == minor and hc.reason == reason
                and hc.server is server and _same_pairs(hc.items, items)):
            prefix = hc.prefix
        else:
            prefix = response_head(minor, status, items, date + server, reason)[:-2]
            hc.prefix = prefix
            hc.end = None  # (hc.head was built from the old prefix)
            hc.items = list(items)
            hc.date = date
            hc.status = status
            hc.minor = minor
            hc.reason = reason
            hc.server = server
        tail = ""
        length = -1
        if self._head or self._no_body:
            if self._head and final and self._declared is None and self.written:
                tail = f"Content-Length: {self.written}\r\n"
        elif self._declared is None:
            if final:
                length = self._pending_len
            elif minor >= 1:
                tail = "Transfer-Encoding: chunked\r\n"
                self._chunked = True
            else:
                sc.close_after = True  # HTTP/1.0 without a length: the close ends the body
        body = req.body
        if body is not EMPTY_BODY and not body.done and (body.continue_pending or req.content_length is None
                              or body._remaining > DISCARD_MAX):
            sc.close_after = True  # the client may still be sending a body we will not read
        if sc.close_after or req.close or sc.shutting_down:
            sc.close_after = True
            conn_line = "Connection: close\r\n"
        elif minor == 0:
            conn_line = "Connection: keep-alive\r\n"
        else:
            conn_line = ""
        if length >= 0 and not conn_line:
            end = _CL_TAILS.get(length)  # the common case: "Content-Length: n" ends the head
            if end is None:
                end = f"Content-Length: {length}\r\n\r\n".encode("latin-1")
                if len(_CL_TAILS) < 4096:
                    _CL_TAILS[length] = end
        elif length < 0 and not tail and not conn_line:
            end = b"\r\n"  # the handler declared the length: nothing to add
        else:
            if length >= 0:
                tail = f"Content-Length: {length}\r\n"
            end = (tail + conn_line + "\r\n").encode("latin-1")
        self._head_sent = True
        if end is hc.end:
            head = hc.head
        else:
            head = prefix + end
            hc.head = head
            hc.end = end
        if self._pending and not self._head:
            if self._pending_len <= COALESCE_MAX:
                sc.write(_join2(head, self._take_body()))
            else:
                sc.write(head)
                sc.write(self._take_body())
        else:
            sc.write(head)

    def _finish(self) -> None:
        """Complete the response after the handler returned."""
        if self.status is None:
            self._start(200, self.headers._items)
        if not self._head_sent:
            self._send_head(True)
        elif self._chunked:
            self._sc.write(self._take_body() + LAST_CHUNK if self._pending else LAST_CHUNK)
        elif self._pending:
            self._sc.write(self._take_body())
        declared = self._declared
        if declared is not None and self.written < declared and not self._head and not self._no_body:
            self._sc.close_after = True  # the client waits for bytes that will never come

