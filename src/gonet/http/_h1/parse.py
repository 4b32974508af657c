"""parse: the HTTP/1.1 request head parser (sans-IO; Go's ``net/http/request.go`` readRequest).

:func:`parse_head` takes the bytes a connection has received and returns the
parsed :class:`RequestHead` and how many bytes it used, ``None`` while the
head is incomplete, or raises :class:`ProtocolError` with the status the
server must answer. It never touches a socket; the tests drive it with bytes.

Why a hand-written parser and not ``httptools`` (llhttp)
--------------------------------------------------------
Measured with ``bench/http_parse.py`` (see its docstring for the numbers):
the whole head is validated by two C-level regular-expression passes over
the latin-1-decoded head (one ``fullmatch`` that proves every line is a
well-formed field, one ``findall`` that extracts the pairs), so the per-request
cost is a handful of C calls, not one Python callback per header as with
httptools' ``on_header``. For a wrk-style GET it is as fast as httptools plus
the Python work a server must do on top (collecting headers, building the
request), and for a 20-header browser request it is faster. httptools is also
lenient where we must be strict (obsolete line folding, bare LF, whitespace
before the colon, ``Transfer-Encoding`` with ``Content-Length``), so using it
would mean re-scanning every header in Python anyway. Strictness lives in one
place — here — and no extra dependency is needed.

Strictness (each answer as Go's server, or RFC 9112 where Go is silent)
-----------------------------------------------------------------------
* request line ``method SP request-target SP HTTP/D.D``; anything else 400;
  a well-formed version other than ``HTTP/1.x`` is 505; longer than
  ``max_request_line`` is 414.
* every header line is ``token ":" OWS value OWS``; whitespace before the
  colon, a line starting with whitespace (obsolete folding), an empty name,
  control characters (NUL ...), bare CR or bare LF are 400.
* the header section beyond ``max_header_bytes`` or ``max_header_fields`` is 431.
* ``Content-Length`` must be digits; differing values are 400; together
  with ``Transfer-Encoding`` 400 (request smuggling); a transfer coding other
  than a final ``chunked`` is 501 (``chunked`` not last is 400).
* HTTP/1.1 needs exactly one ``Host`` (400 otherwise, as Go); an
  ``Expect`` other than ``100-continue`` is 417.
"""

from __future__ import annotations

import re

from .errors import ProtocolError

try:
    import cython
except ImportError:  # plain Python without Cython installed (Cython is a build dependency)
    from . import _cython as cython

if not cython.compiled:  # compiled, these are the C scanners of parse.pxd

    def _parse_fast(buf: bytes, head: RequestHead, max_request_line: int, max_header_bytes: int,
                    max_header_fields: int) -> int:
        """The compiled build's scanner for the common head; plain Python uses the regular expressions."""
        return 0

    def _host_chars_ok(host: str) -> bool:
        """The compiled build's Host check (every character in 0x21-0x7e)."""
        return _HOST_RE.fullmatch(host) is not None

__all__ = ["RequestHead", "parse_head", "parse_into"]

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_VALUE = r"[\t\x20-\x7e\x80-\xff]*"
# Validation: every line is "token:value CRLF" (greedy, so one linear C pass);
# extraction: the same with groups, leading OWS dropped (trailing OWS is rare
# and stripped only when present).
_FIELDS_RE = re.compile("(?:" + _TOKEN + ":" + _VALUE + r"\r\n)*")
_FIELD_RE = re.compile("(" + _TOKEN + r"):[ \t]*(" + _VALUE + r")\r\n")
_REQUEST_LINE_RE = re.compile("(" + _TOKEN + r") ([\x21-\x7e]+) HTTP/([0-9])\.([0-9])")
_CONTENT_LENGTH_RE = re.compile(r"[0-9]{1,18}")
_TOKEN_RE = re.compile(_TOKEN)
_HOST_RE = re.compile(r"[\x21-\x7e]*")

#: Leading empty lines before a request line are ignored (RFC 9112 section 2.2).
_CRLF = b"\r\n"


class RequestHead:
    """RequestHead is a parsed request line and header section, with the body's framing.

    ``headers`` is the list of ``(name, value)`` pairs in arrival order
    (names as sent); ``index`` maps each lower-cased name to its first value.
    ``content_length`` is ``None`` for chunked bodies, ``0`` when there is no
    body. ``keep_alive`` tells whether the connection may serve another request.
    """

    __slots__ = ("chunked", "content_length", "expect_continue", "headers", "host", "index",
                 "keep_alive", "method", "minor", "target")

    def __init__(self, method: str, target: str, minor: int, headers: list[tuple[str, str]],
                 index: dict[str, str], host: str, content_length: int | None, chunked: bool,
                 keep_alive: bool, expect_continue: bool) -> None:
        self.method = method
        self.target = target
        self.minor = minor
        self.headers = headers
        self.index = index
        self.host = host
        self.content_length = content_length
        self.chunked = chunked
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue


def parse_head(buf: bytes, max_request_line: int = 8192, max_header_bytes: int = 65536,
               max_header_fields: int = 100) -> tuple[RequestHead, int] | None:
    """parse_head parses the request head at the start of ``buf``.

    Returns ``(head, consumed)`` where ``consumed`` counts the bytes of the
    head (and any empty lines before it), or ``None`` if the head is not
    complete yet. Raises :class:`ProtocolError` (400, 414, 431, 417, 501,
    505) for a head the server must refuse — as soon as the received bytes
    prove it (an over-long line is refused before its end arrives).
    """
    head = RequestHead.__new__(RequestHead)
    used = parse_into(buf, head, max_request_line, max_header_bytes, max_header_fields)
    return (head, used) if used else None


def parse_into(buf: bytes, head: RequestHead, max_request_line: int, max_header_bytes: int,
               max_header_fields: int) -> int:
    """parse_into is :func:`parse_head` refilling ``head``; returns ``consumed``, 0 if incomplete.

    ``head`` is changed only when a whole head is accepted (a refused or
    incomplete one leaves it as it was). A connection keeps one head and
    refills it for each of its requests (conn.py): nothing but the
    connection's loop ever holds it.
    """
    if type(head) is not RequestHead:  # compiled, _framing's C-typed head would let None through
        raise TypeError(f"parse_into: head must be a RequestHead, not {type(head).__name__}")
    if cython.compiled:
        # The common case in C (parse.pxd): accepts only what the general path below accepts,
        # with the same pieces; anything else (incomplete, refused, unusual) goes that way.
        used = _parse_fast(buf, head, max_request_line, max_header_bytes, max_header_fields)
        if used:
            return used
    start = 0
    while buf.startswith(_CRLF, start):
        start += 2
    end = buf.find(b"\r\n\r\n", start)
    line_end = buf.find(_CRLF, start)
    if end < 0:
        _check_incomplete(buf, start, line_end, max_request_line, max_header_bytes)
        return 0
    if line_end - start > max_request_line:
        raise ProtocolError(414, "request line too long")
    if end + 2 - line_end - 2 > max_header_bytes:
        raise ProtocolError(431, "request header fields too large")
    # (line_end == end: the request line is followed by the empty line, no fields)
    block = "" if line_end == end else buf[line_end + 2:end + 2].decode("latin-1")
    line = buf[start:line_end].decode("latin-1")
    m = _REQUEST_LINE_RE.fullmatch(line)
    if m is None:
        raise ProtocolError(400, "malformed request line")
    method, target, major, minor_s = m.groups()
    if major != "1":
        raise ProtocolError(505, "unsupported protocol version")
    minor = 1 if minor_s != "0" else 0
    if block:
        if _FIELDS_RE.fullmatch(block) is None:
            raise ProtocolError(400, _field_error(block))
        headers: list[tuple[str, str]] = _FIELD_RE.findall(block)
        if len(headers) > max_header_fields:
            raise ProtocolError(431, "too many request header fields")
        if " \r\n" in block or "\t\r\n" in block:
            headers = [(k, v.rstrip(" \t")) for k, v in headers]
    else:
        headers = []
    _framing(head, method, target, minor, headers)
    return end + 4


def _check_incomplete(buf: bytes, start: int, line_end: int, max_request_line: int,
                      max_header_bytes: int) -> None:
    """Refuse an incomplete head as soon as it is certain to be refused."""
    if buf.count(b"\n", start) != buf.count(_CRLF, start) or b"\r\r" in buf:
        raise ProtocolError(400, "bare LF or CR in request head")
    if line_end < 0:
        if len(buf) - start > max_request_line:
            raise ProtocolError(414, "request line too long")
    elif len(buf) - line_end - 2 > max_header_bytes:
        raise ProtocolError(431, "request header fields too large")
    if b"\x00" in buf:
        raise ProtocolError(400, "NUL in request head")


def _field_error(block: str) -> str:
    """Name what is wrong with a header section that failed validation."""
    for raw in block.split("\r\n")[:-1]:
        if _FIELD_RE.fullmatch(raw + "\r\n"):
            continue
        if raw[:1] in (" ", "\t"):
            return "obsolete line folding in header"
        name, colon, _ = raw.partition(":")
        if not colon:
            return "header line without colon"
        if name != name.rstrip(" \t"):
            return "whitespace before colon in header"
        if _TOKEN_RE.fullmatch(name) is None:
            return "invalid header name"
        return "invalid character in header value"
    return "bare CR or LF in header"


def _framing(head: RequestHead, method: str, target: str, minor: int,
             headers: list[tuple[str, str]], index: dict[str, str] | None = None) -> None:
    """Work out the body framing, Host, keep-alive and Expect from the headers; fill ``head``.

    ``index``: lower-cased name -> value for ``headers`` (the last value of a repeated name),
    if the caller has it. Every refusal is raised before the first field of ``head`` is set.
    """
    if index is None:
        index = {k.lower(): v for k, v in headers}
    if len(index) != len(headers):
        index = _join_repeated(headers)
        repeated = True
    else:
        repeated = False
    host = index.get("host")
    # Only a Host field (a probe's, a load generator's request): nothing more to look up.
    only_host = host is not None and len(index) == 1
    if host is None:
        if minor >= 1:
            raise ProtocolError(400, "missing required Host header")
        host = ""
    elif repeated and [k.lower() for k, _ in headers].count("host") > 1:
        raise ProtocolError(400, "too many Host headers")
    if not _host_chars_ok(host):
        raise ProtocolError(400, "malformed Host header")
    content_length: int | None = 0
    chunked = False
    keep_alive_te = True
    te = None if only_host else index.get("transfer-encoding")
    cl = None if only_host else index.get("content-length")
    if te is not None:
        if cl is not None:
            raise ProtocolError(400, "both Transfer-Encoding and Content-Length")
        codings = [c.strip(" \t").lower() for c in te.split(",")]
        for c in codings:
            if not c or _TOKEN_RE.fullmatch(c) is None:
                raise ProtocolError(400, "malformed Transfer-Encoding")
        if codings[-1] != "chunked" and "chunked" in codings:
            raise ProtocolError(400, "chunked is not the final transfer coding")
        if codings != ["chunked"]:
            raise ProtocolError(501, f"unsupported transfer encoding: {te!r}")
        chunked = True
        content_length = None
        if minor == 0:
            # RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is suspect (a 1.0 proxy cannot
            # have framed it); serve it, then close.
            keep_alive_te = False
    elif cl is not None:
        if _CONTENT_LENGTH_RE.fullmatch(cl) is not None:
            content_length = int(cl)
        else:  # a list (repeated headers or "5, 5"): every value must be the same number
            values = [v.strip(" \t") for v in cl.split(",")]
            for v in values:
                if _CONTENT_LENGTH_RE.fullmatch(v) is None:
                    raise ProtocolError(400, "bad Content-Length")
            content_length = int(values[0])
            for v in values:
                if int(v) != content_length:
                    raise ProtocolError(400, "conflicting Content-Length values")
    connection = None if only_host else index.get("connection")
    if connection is not None:
        tokens = [t.strip(" \t") for t in connection.lower().split(",")]
        keep_alive = "close" not in tokens if minor >= 1 else "keep-alive" in tokens
    else:
        keep_alive = minor >= 1
    keep_alive = keep_alive and keep_alive_te
    expect_continue = False
    expect = None if only_host else index.get("expect")
    if expect is not None:
        if expect.lower() != "100-continue":
            raise ProtocolError(417, "unsupported Expect")
        expect_continue = minor >= 1
    head.method = method
    head.target = target
    head.minor = minor
    head.headers = headers
    head.index = index
    head.host = host
    head.content_length = content_length
    head.chunked = chunked
    head.keep_alive = keep_alive
    head.expect_continue = expect_continue


def _join_repeated(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Index with repeated fields joined by commas (RFC 9110 5.3); Cookie by "; "."""
    index: dict[str, str] = {}
    for name, value in headers:
        lname = name.lower()
        old = index.get(lname)
        if old is None:
            index[lname] = value
        elif lname == "cookie":
            index[lname] = old + "; " + value
        elif lname != "set-cookie":
            index[lname] = old + ", " + value
    return index
