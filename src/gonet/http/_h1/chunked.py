"""chunked: the chunked transfer coding, decoding and encoding (Go's ``net/http/internal/chunked.go``).

:class:`ChunkedDecoder` is a sans-IO state machine: feed it received bytes,
it returns the body data they carry and how much of the input it used; what
it did not use (an incomplete size line) must be fed again with more bytes.

States: ``SIZE`` (reading ``hex [;ext] CRLF``) → ``DATA`` (``remaining``
bytes of chunk data) → ``DATA_END`` (the CRLF after the data) → ``SIZE`` ...;
a zero size goes to ``TRAILER`` (header lines until an empty line), then
``DONE``. Anything malformed raises :class:`ProtocolError` 400: a size that
is not hex, longer than 16 digits, followed by whitespace that does not lead
to an extension, a size line over 4 KiB, data not followed by CRLF, bare LF,
a malformed trailer line.
"""

from __future__ import annotations

import re

from .errors import ProtocolError

__all__ = ["LAST_CHUNK", "ChunkedDecoder", "encode_chunk"]

SIZE, DATA, DATA_END, TRAILER, DONE = range(5)

#: The longest chunk-size line (with extensions) accepted.
MAX_SIZE_LINE = 4096
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_SIZE_LINE_RE = re.compile(
    rb"([0-9a-fA-F]{1,16})(?:[ \t]*;[ \t]*" + _TOKEN.encode()
    + rb"(?:[ \t]*=[ \t]*(?:" + _TOKEN.encode() + rb'|"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]'
    + rb'|\\[\t\x20-\x7e\x80-\xff])*"))?)*')
_TRAILER_LINE_RE = re.compile(_TOKEN.encode() + rb":[\t\x20-\x7e\x80-\xff]*")

#: The last chunk and the empty trailer that end a chunked body.
LAST_CHUNK = b"0\r\n\r\n"


class ChunkedDecoder:
    """ChunkedDecoder decodes a chunked request body incrementally.

    ``max_trailer_bytes`` bounds the trailer section (431 past it).
    """

    __slots__ = ("max_trailer_bytes", "remaining", "state", "trailer_bytes")

    def __init__(self, max_trailer_bytes: int = 65536) -> None:
        self.state = SIZE
        self.remaining = 0
        self.trailer_bytes = 0
        self.max_trailer_bytes = max_trailer_bytes

    @property
    def done(self) -> bool:
        """done tells whether the last chunk and the trailer have been read."""
        return self.state == DONE

    def feed(self, data: bytes, limit: int = 1 << 62) -> tuple[bytes, int]:
        """feed decodes from ``data``: returns ``(body bytes, bytes of data consumed)``.

        Returns at most ``limit`` body bytes. Stops early at the end of the
        body (``done``) or when ``data`` ends inside a size or trailer line,
        which must then be fed again with more bytes after it.
        """
        pos = 0
        n = len(data)
        out: list[bytes] = []
        got = 0
        while pos < n and got < limit:
            state = self.state
            if state == DATA:
                take = min(self.remaining, n - pos, limit - got)
                out.append(data[pos:pos + take])
                pos += take
                got += take
                self.remaining -= take
                if self.remaining == 0:
                    self.state = DATA_END
            elif state == SIZE:
                eol = data.find(b"\r\n", pos)
                if eol < 0:
                    if n - pos > MAX_SIZE_LINE or b"\n" in data[pos:]:
                        raise ProtocolError(400, "malformed chunk size line")
                    break
                if eol - pos > MAX_SIZE_LINE:
                    raise ProtocolError(400, "chunk size line too long")
                m = _SIZE_LINE_RE.fullmatch(data, pos, eol)
                if m is None:
                    raise ProtocolError(400, "malformed chunk size")
                size = int(m.group(1), 16)
                pos = eol + 2
                if size == 0:
                    self.state = TRAILER
                else:
                    self.remaining = size
                    self.state = DATA
            elif state == DATA_END:
                if n - pos < 2:
                    if data[pos:] != b"\r":
                        raise ProtocolError(400, "chunk data not followed by CRLF")
                    break
                if data[pos:pos + 2] != b"\r\n":
                    raise ProtocolError(400, "chunk data not followed by CRLF")
                pos += 2
                self.state = SIZE
            elif state == TRAILER:
                eol = data.find(b"\r\n", pos)
                if eol < 0:
                    if n - pos + self.trailer_bytes > self.max_trailer_bytes:
                        raise ProtocolError(431, "chunked trailer too large")
                    if b"\n" in data[pos:]:
                        raise ProtocolError(400, "bare LF in chunked trailer")
                    break
                self.trailer_bytes += eol + 2 - pos
                if self.trailer_bytes > self.max_trailer_bytes:
                    raise ProtocolError(431, "chunked trailer too large")
                if eol != pos and _TRAILER_LINE_RE.fullmatch(data, pos, eol) is None:
                    raise ProtocolError(400, "malformed chunked trailer")
                if eol == pos:
                    self.state = DONE
                pos = eol + 2
            else:  # DONE
                break
        if not out:
            return b"", pos
        return (out[0] if len(out) == 1 else b"".join(out)), pos


def encode_chunk(data: bytes) -> bytes:
    """encode_chunk frames ``data`` as one chunk (``data`` must not be empty)."""
    return b"%x\r\n%b\r\n" % (len(data), data)
