"""readbuf: the ciphertext read buffer every TLS conn of a thread shares.

Ciphertext goes from the socket into it and on into the conn's incoming
``MemoryBIO`` without the goroutine parking in between, so every conn of a
runtime can share one (a runtime lives on one thread): no per-conn buffer,
and the buffer stays hot in the cache.
"""

from __future__ import annotations

import threading

__all__ = ["READ_CHUNK", "ReadBuffer", "read_buffer"]

#: READ_CHUNK is the ciphertext read from the inner conn at once (four full records).
READ_CHUNK = 64 * 1024

_local = threading.local()


class ReadBuffer:
    """ReadBuffer is a thread's ciphertext buffer ``buf``, and the last slice of it fed to a BIO.

    ``buf`` is a ``bytearray`` (``gonet.Conn.read_into`` takes one without
    checking it; a memoryview goes through a Python-level check per call),
    ``mv`` a view of all of it. An echo-like peer sends the same size again
    and again: keeping the view ``cut`` of the first ``cut_len`` bytes spares
    a new memoryview per read.
    """

    __slots__ = ("buf", "cut", "cut_len", "mv")

    def __init__(self) -> None:
        self.buf = bytearray(READ_CHUNK)  # never resized: the views stay valid
        self.mv = memoryview(self.buf)
        self.cut = self.mv[:0]
        self.cut_len = 0


def read_buffer() -> ReadBuffer:
    """read_buffer returns the calling thread's :class:`ReadBuffer`, made on first use."""
    rb: ReadBuffer | None = getattr(_local, "rb", None)
    if rb is None:
        rb = _local.rb = ReadBuffer()
    return rb
