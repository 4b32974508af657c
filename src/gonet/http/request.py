"""request: the incoming request and its streaming body (Go's ``net/http/request.go``, ``transfer.go`` body).

:class:`Request` is what a native handler receives; :class:`Body` reads the
request body from the connection on demand and never returns a byte past
its end (the rest of the connection's input stays for the next request of a
keep-alive or pipelined connection). :class:`Headers` is the case-insensitive
multi-dict used for request and response headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import unquote

import gonet

from ._h1 import ChunkedDecoder, ProtocolError, check_header

try:
    import cython
except ImportError:  # plain Python without Cython installed (Cython is a build dependency)
    from ._h1 import _cython as cython

# (a module, not the class: compiled, RequestHead is the C type cimported by request.pxd)
from ._h1 import parse as _parse

if TYPE_CHECKING:
    from .conn import ServerConn

if not cython.compiled:  # compiled, this is the C check of request.pxd

    def _header_ok(name: object, value: object) -> bool:
        """The compiled build's fast header check; plain Python always asks check_header."""
        return False

__all__ = ["Body", "Headers", "Request"]

#: The most a body read takes from the connection at once.
READ_SIZE = 65536

class Headers:
    """Headers is a case-insensitive multi-dict of header fields, in order.

    ``get(name, default)`` and ``h[name]`` give the first value (``h[name]``
    raises ``KeyError``), ``get_all(name)`` every value, ``items()`` the
    ``(name, value)`` pairs as received or set. Setting (``h[name] = v``)
    replaces every field of that name; :meth:`add` appends one. Names and
    values are checked when set: a name must be a token and a value must not
    contain CR, LF or NUL (``ValueError``), so a response cannot be split.
    """

    __slots__ = ("_index", "_items")

    def __init__(self, items: Iterable[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = []
        self._index: dict[str, str] | None = None
        if items is not None:
            for name, value in items:
                self.add(name, value)

    @classmethod
    def _trusted(cls, items: list[tuple[str, str]], index: dict[str, str] | None) -> Headers:
        """Build from pairs already validated (the parser's, or WSGI's checked list)."""
        return trusted_headers(items, index)

    def _lookup(self) -> dict[str, str]:
        index = self._index
        if index is None:
            index = {}
            for name, value in self._items:
                index.setdefault(name.lower(), value)
            self._index = index
        return index

    def get(self, name: str, default: str | None = None) -> str | None:
        """get returns the value of ``name``, or ``default``.

        For a request field sent more than once, the values joined with commas.
        """
        return self._lookup().get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        """get_all returns every value of ``name``, in order (``[]`` if absent)."""
        lname = name.lower()
        return [v for k, v in self._items if k.lower() == lname]

    def items(self) -> list[tuple[str, str]]:
        """items returns the ``(name, value)`` pairs in order (a copy)."""
        return list(self._items)

    def keys(self) -> list[str]:
        """keys returns the field names in order, repeated names repeated."""
        return [k for k, _ in self._items]

    def add(self, name: str, value: str) -> None:
        """add appends a field (``ValueError`` for an invalid name or value)."""
        if not _header_ok(name, value):
            check_header(name, value)
        self._items.append((name, value))
        self._index = None

    def set(self, name: str, value: str) -> None:
        """set replaces every field called ``name`` with one ``name: value``."""
        if not _header_ok(name, value):
            check_header(name, value)
        items = self._items
        if items:
            # Names are ASCII tokens (checked when set or parsed), so only a field of the same
            # length can have the same name: the others are kept without lower-casing them.
            size = len(name)
            lname = ""
            kept = []
            for item in items:
                k = item[0]
                if len(k) == size:
                    if not lname:
                        lname = name.lower()
                    if k.lower() == lname:
                        continue
                kept.append(item)
            kept.append((name, value))
            self._items = kept  # a new list: never one the writer shares
        else:
            self._items = [(name, value)]  # a new list, as above
        self._index = None

    def pop(self, name: str, default: str | None = None) -> str | None:
        """pop removes every field called ``name`` and returns the first value, or ``default``."""
        value = self.get(name, default)
        self._remove(name, missing_ok=True)
        return value

    def __getitem__(self, name: str) -> str:
        value = self._lookup().get(name.lower())
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        self._remove(name, False)

    def _remove(self, name: str, missing_ok: bool) -> None:
        lname = name.lower()
        items = [(k, v) for k, v in self._items if k.lower() != lname]
        if len(items) == len(self._items) and not missing_ok:
            raise KeyError(name)
        self._items = items
        self._index = None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return iter([k for k, _ in self._items])

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


def trusted_headers(items: list[tuple[str, str]], index: dict[str, str] | None) -> Headers:
    """trusted_headers builds a Headers from pairs already validated (the parser's, the writer's)."""
    h = Headers.__new__(Headers)
    h._items = items
    h._index = index
    return h


class Body:
    """Body is a request body, read from the connection as the handler asks for it.

    ``read(n=-1)``, ``read1``, ``readinto``, ``readline``, ``readlines`` and
    iteration (by line) return ``b""`` at the end of the body and never
    return bytes past it. The first read of a request that sent
    ``Expect: 100-continue`` sends ``100 Continue`` first. Errors raise
    :class:`~gonet.http.ProtocolError`: 400 for a malformed chunked body or
    a connection that ends early, 413 past the server's ``max_body_bytes``,
    408 when the body read timeout passes; the server answers with that
    status if the response has not started.
    """

    __slots__ = ("_decoder", "_eof", "_pending", "_remaining", "_sc", "_total", "continue_pending")

    def __init__(self, sc: ServerConn | None, content_length: int | None, chunked: bool,
                 expect_continue: bool) -> None:
        self._sc = sc
        self._remaining = content_length if content_length is not None else 0
        self._decoder = ChunkedDecoder(sc.srv.max_header_bytes) if chunked and sc else None
        self._eof = sc is None or (not chunked and not content_length)
        self._total = 0
        self._pending = b""
        #: continue_pending: ``100 Continue`` is still owed to the client.
        self.continue_pending = expect_continue and not self._eof

    @property
    def done(self) -> bool:
        """done tells whether the whole body has been read."""
        return self._eof and not self._pending

    def read(self, n: int = -1) -> bytes:
        """read returns the next ``n`` bytes of the body (all the rest for ``n < 0``), ``b""`` at its end.

        As ``io.BufferedReader.read`` (PEP 3333's ``wsgi.input`` is a file):
        parks until ``n`` bytes have arrived or the body has ended, so it
        returns fewer than ``n`` bytes only at the end of the body. Frameworks
        rely on it (Django reads ``CONTENT_LENGTH`` bytes in one call);
        :meth:`read1` returns what one read of the connection gives.
        """
        if n is None or n < 0:
            parts = []
            while chunk := self._read_some(READ_SIZE):
                parts.append(chunk)
            return b"".join(parts)
        if n == 0:
            return b""
        data = self._read_some(n)
        if len(data) == n or not data:
            return data
        parts = [data]
        got = len(data)
        while got < n and (chunk := self._read_some(n - got)):
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def read1(self, n: int = -1) -> bytes:
        """read1 returns what one read gives: up to ``n`` bytes, at least one unless at the end."""
        return self._read_some(READ_SIZE if n is None or n < 0 else n)

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """readinto fills ``buffer`` from the body and returns the count: short only at its end (0 there)."""
        view = memoryview(buffer).cast("B")
        got = 0
        while got < len(view) and (data := self._read_some(len(view) - got)):
            view[got:got + len(data)] = data
            got += len(data)
        return got

    def readline(self, limit: int = -1) -> bytes:
        """readline returns the body up to and including the next ``\\n`` (at most ``limit`` bytes)."""
        sc = self._sc
        parts: list[bytes] = []
        got = 0
        while limit < 0 or got < limit:
            want = READ_SIZE if limit < 0 else limit - got
            if self._decoder is None and sc is not None and not self._eof and not self._pending:
                # Look for the newline in what is already buffered, without consuming past it.
                if not sc.buf:
                    self._fill()
                    continue
                avail = min(len(sc.buf), self._remaining, want)
                nl = sc.buf.find(b"\n", 0, avail)
                chunk = self._take(nl + 1 if nl >= 0 else avail)
            else:
                chunk = self._read_some(want, line=True)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
            if chunk.endswith(b"\n"):
                break
        return b"".join(parts)

    def readlines(self, hint: int = -1) -> list[bytes]:
        """readlines returns the remaining lines (stopping once ``hint`` bytes are read, if given)."""
        lines = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def close(self) -> None:
        """close does nothing: the server discards what the handler left unread."""

    # --- internals -----------------------------------------------------------------------

    def _take(self, k: int) -> bytes:
        sc = self._sc
        assert sc is not None
        buf = sc.buf
        data = buf[:k]
        sc.buf = buf[k:]
        self._remaining -= k
        if self._remaining == 0:
            self._eof = True
        return data

    def _read_some(self, n: int, line: bool = False) -> bytes:
        pending = self._pending
        if pending:
            data = pending[:n]
            if line:
                nl = data.find(b"\n")
                if nl >= 0:
                    data = data[:nl + 1]
            self._pending = pending[len(data):]
            return data
        if self._eof:
            return b""
        sc = self._sc
        assert sc is not None
        dec = self._decoder
        while True:
            if dec is None:
                if sc.buf:
                    return self._take(min(len(sc.buf), self._remaining, n))
            elif sc.buf:
                data, used = dec.feed(sc.buf, n)
                if used:
                    sc.buf = sc.buf[used:]
                if dec.done:
                    self._eof = True
                if data:
                    self._total += len(data)
                    limit = sc.srv.max_body_bytes
                    if limit is not None and self._total > limit:
                        sc.close_after = True
                        raise ProtocolError(413, "request body too large")
                    if line:
                        nl = data.find(b"\n")
                        if 0 <= nl < len(data) - 1:  # keep the rest for the next read
                            self._pending = data[nl + 1:]
                            return data[:nl + 1]
                    return data
                if self._eof:
                    return b""
            self._fill()

    def _fill(self) -> None:
        sc = self._sc
        assert sc is not None
        if self.continue_pending:
            self.continue_pending = False
            sc.send_continue()
        sc.fill_body()


#: EMPTY_BODY is the body of every request without one (stateless: every read returns b"").
EMPTY_BODY = Body(None, 0, False, False)


class Request:
    """Request is an HTTP request as the server received it (Go's ``http.Request``).

    ``method``, ``target`` (the raw request-target, also ``url``),
    ``raw_path`` and ``query`` (split at the first ``?``), ``path`` (percent-
    decoded, latin-1), ``proto`` (``"HTTP/1.1"``), ``proto_major``,
    ``proto_minor``, ``headers`` (:class:`Headers`), ``host``,
    ``remote_addr`` (the peer, or the client named by ``X-Forwarded-For``
    when the peer is trusted), ``scheme`` (``"http"``, or ``"https"`` for
    TLS or a trusted ``X-Forwarded-Proto``), ``content_length`` (``None``
    for a chunked body), ``body`` (:class:`Body`), ``close`` (the client
    asked to close the connection after this request), ``tls``.
    """

    __slots__ = ("body", "close", "content_length", "headers", "host", "method", "path",
                 "proto_minor", "query", "raw_path", "remote_addr", "scheme", "target", "tls")
    # Set by _fill_request (declared here for the type checker).
    method: str
    target: str
    raw_path: str
    query: str
    path: str
    proto_minor: int
    headers: Headers
    host: str
    content_length: int | None
    close: bool

    def __init__(self, head: _parse.RequestHead, body: Body, remote_addr: gonet.Addr | None,
                 scheme: str = "http", tls: bool = False) -> None:
        # Checked here, not left to _fill_request: compiled, its C-typed parameter
        # accepts None, and reading a field of None would crash the process.
        if not isinstance(head, _parse.RequestHead):
            raise TypeError(f"Request: head must be a RequestHead, not {type(head).__name__}")
        _fill_request(self, head, False)
        self.remote_addr = remote_addr
        self.body = body
        self.scheme = scheme
        self.tls = tls

    @property
    def url(self) -> str:
        """url is the raw request-target (same as ``target``)."""
        return self.target

    @property
    def proto(self) -> str:
        """proto is the protocol version, ``"HTTP/1.1"`` or ``"HTTP/1.0"``."""
        return "HTTP/1.1" if self.proto_minor else "HTTP/1.0"

    @property
    def proto_major(self) -> int:
        """proto_major is 1."""
        return 1

    def __repr__(self) -> str:
        return f"<gonet.http.Request {self.method} {self.target} {self.proto}>"


def _refill_request(req: Request, head: _parse.RequestHead, body: Body, remote_addr: gonet.Addr | None,
                    scheme: str, tls: bool) -> None:
    """Refill every field of ``req`` for the next request of its connection (conn.py's reuse).

    Only called when nothing but the server holds the request and its headers.
    """
    _fill_request(req, head, True)
    req.remote_addr = remote_addr
    req.body = body
    req.scheme = scheme
    req.tls = tls


def _park_request(req: Request) -> None:
    """Drop what a finished request holds (its header list, its body) while it waits for reuse."""
    h = req.headers
    h._items = _PARKED
    h._index = None
    req.body = EMPTY_BODY


#: The header list of a parked request (Request._park): never read or changed, since nothing
#: but the server can reach a parked request, and _reuse replaces it.
_PARKED: list[tuple[str, str]] = []


def _fill_request(req: Request, head: _parse.RequestHead, reuse: bool) -> None:
    """Set ``req``'s fields from the parsed head (a function so that, compiled, both are C types).

    ``reuse``: ``req.headers`` is the server's alone and is refilled, not replaced.
    """
    req.method = head.method
    target = head.target
    req.target = target
    if target[:1] != "/":
        raw_path, query = _split_target(target)
    elif "?" not in target:
        raw_path, query = target, ""  # (what partition gives, without its tuple)
    else:
        raw_path, _, query = target.partition("?")
    req.raw_path = raw_path
    req.query = query
    req.path = unquote(raw_path, encoding="latin-1") if "%" in raw_path else raw_path
    req.proto_minor = head.minor
    if reuse:
        h = req.headers
        h._items = head.headers
        h._index = head.index
    else:
        req.headers = trusted_headers(head.headers, head.index)
    req.host = head.host
    req.content_length = head.content_length
    req.close = not head.keep_alive


def _split_target(target: str) -> tuple[str, str]:
    """Split an absolute-form ("http://h/p?q") or asterisk-form target into path and query."""
    if target == "*":
        return "*", ""
    scheme_end = target.find("://")
    if scheme_end > 0:
        rest = target[scheme_end + 3:]
        slash = rest.find("/")
        q = rest.find("?")
        if slash < 0 or (0 <= q < slash):
            return "/", rest[q + 1:] if q >= 0 else ""
        path, _, query = rest[slash:].partition("?")
        return path, query
    path, _, query = target.partition("?")  # authority-form (CONNECT) or odd targets: keep as sent
    return path, query
