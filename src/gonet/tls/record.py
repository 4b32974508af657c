"""record: where the TLS record boundaries fall in the ciphertext fed to OpenSSL (sans-IO).

Go's ``crypto/tls`` (``conn.go``, ``readRecordOrCCS``) tells a transport EOF
*at* a record boundary from one *inside* a record (``io.ErrUnexpectedEOF``).
OpenSSL 3 cannot: with a memory BIO it only ever sees "no more bytes", and it
keeps a partly received record in its own buffer, out of sight. So the
connection watches the 5-byte record headers (type, version, length) of every
chunk of ciphertext as it feeds it, and knows at any time how much of the
tail record has arrived.

That also lets the read path skip ``SSLObject.read`` when the memory BIO
holds nothing but the start of an incomplete record (it would only raise
``SSLWantReadError``): a complete record is buffered exactly when the BIO
holds more bytes than the incomplete tail.
"""

from __future__ import annotations

__all__ = ["HEADER_LEN", "RecordTracker"]

#: HEADER_LEN is the size of a TLS record header (RFC 8446 5.1: type, version, length).
HEADER_LEN = 5


class RecordTracker:
    """RecordTracker follows the record framing of a TLS byte stream fed to it in chunks.

    ``partial`` is the number of bytes of the last, incomplete record fed so
    far (header bytes included); ``0`` means the bytes fed end exactly at a
    record boundary.
    """

    __slots__ = ("_hdr", "_need", "partial")

    def __init__(self) -> None:
        self.partial = 0
        self._need = 0  # body bytes still missing from the tail record (its header complete)
        self._hdr = b""  # the tail record's header while fewer than 5 bytes of it arrived

    def at_boundary(self) -> bool:
        """at_boundary reports whether the stream fed so far ends at a record boundary."""
        return self.partial == 0

    def feed(self, buf: bytes | bytearray | memoryview, n: int) -> None:
        """feed accounts for the first ``n`` bytes of ``buf``, the next chunk of the stream."""
        pos = 0
        need = self._need
        partial = self.partial
        while pos < n:
            if need:  # inside a record body
                avail = n - pos
                if avail < need:
                    self._need = need - avail
                    self.partial = partial + avail
                    return
                pos += need
                need = partial = 0
                continue
            hdr = self._hdr
            if not hdr and n - pos >= HEADER_LEN:  # the common case: a whole header
                need = (buf[pos + 3] << 8) | buf[pos + 4]
                pos += HEADER_LEN
                partial = HEADER_LEN if need else 0
                continue
            take = min(HEADER_LEN - len(hdr), n - pos)
            hdr += bytes(buf[pos:pos + take])
            pos += take
            if len(hdr) < HEADER_LEN:
                self._hdr = hdr
                self._need = 0
                self.partial = len(hdr)
                return
            self._hdr = b""
            need = (hdr[3] << 8) | hdr[4]
            partial = HEADER_LEN if need else 0
        self._need = need
        self.partial = partial
