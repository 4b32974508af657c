"""serialize: the HTTP/1.1 response head (sans-IO; Go's ``net/http/server.go`` chunkWriter.writeHeader).

:func:`response_head` turns a status and header pairs into the bytes of a
response head. Header names must be tokens and values must not contain CR,
LF or NUL (response splitting): :func:`check_header` is the one check, and
:class:`~gonet.http.Headers` runs it when a header is set, so the serializer
itself only joins strings. :class:`DateCache` formats the ``Date`` header
once per second, as Go's server does.
"""

from __future__ import annotations

import re
import time
from email.utils import formatdate

from ..status import status_text

try:
    import cython
except ImportError:  # plain Python without Cython installed (Cython is a build dependency)
    from . import _cython as cython

if not cython.compiled:  # compiled, this is the C check of serialize.pxd (libc time())

    def _same_second(second: int) -> bool:
        """The compiled build's quick "is it still ``second``?"; plain Python always asks time.time()."""
        return False

__all__ = ["DateCache", "check_header", "response_head", "status_line"]

_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE_RE = re.compile(r"[\x00\r\n]")

#: Status lines by ``code * 2 + minor`` (minor is 0 or 1).
_STATUS_LINES: dict[int, str] = {}


def status_line(minor: int, code: int) -> str:
    """status_line returns ``HTTP/1.<minor> <code> <text>\\r\\n`` (cached per code)."""
    key = code * 2 + minor
    line = _STATUS_LINES.get(key)
    if line is None:
        if not 100 <= code <= 999:
            raise ValueError(f"invalid HTTP status code {code}")
        line = f"HTTP/1.{minor} {code} {status_text(code)}\r\n"
        if len(_STATUS_LINES) < 4096:
            _STATUS_LINES[key] = line
    return line


def check_header(name: str, value: str) -> None:
    """check_header raises ``ValueError`` for a name that is not a token or a value with CR/LF/NUL."""
    if type(name) is not str or _NAME_RE.fullmatch(name) is None:
        raise ValueError(f"invalid header name {name!r}")
    if type(value) is not str:
        raise ValueError(f"header value for {name!r} must be str, not {type(value).__name__}")
    if _BAD_VALUE_RE.search(value) is not None:
        raise ValueError(f"invalid header value for {name!r}: {value!r}")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"header value for {name!r} is not latin-1: {value!r}") from None


def response_head(minor: int, code: int, headers: list[tuple[str, str]], extra: str,
                  reason: str | None = None) -> bytes:
    """response_head returns the response head: status line, ``headers``, ``extra`` lines, CRLF.

    ``headers`` must already be checked (:func:`check_header`); ``extra``
    is the server's own lines (``Date``, framing, ``Connection``), each
    ending in CRLF. ``reason`` replaces the standard reason phrase.
    """
    parts = [status_line(minor, code) if reason is None else f"HTTP/1.{minor} {code} {reason}\r\n"]
    for name, value in headers:
        parts.append(f"{name}: {value}\r\n")
    parts.append(extra)
    parts.append("\r\n")
    return "".join(parts).encode("latin-1")


class DateCache:
    """DateCache keeps the ``Date: ...\\r\\n`` line, reformatted once per second."""

    __slots__ = ("line", "second")

    def __init__(self) -> None:
        self.second = -1
        self.line = ""

    def get(self) -> str:
        """get returns the current ``Date`` header line (with CRLF)."""
        # Compiled, C time() answers "still the same second?" without a Python call (once
        # per request); the line itself always comes from time.time().
        if _same_second(self.second):
            return self.line
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.line = f"Date: {formatdate(now, usegmt=True)}\r\n"
        return self.line
