"""gonet.http._h1: the sans-IO HTTP/1.1 layer — request parser, chunked coding, response serializer.

Nothing here touches a socket; :mod:`gonet.http.server` feeds it bytes.
See :mod:`.parse` for the choice of parser (hand-written, measured against
httptools) and the strictness rules.
"""

from __future__ import annotations

from .chunked import LAST_CHUNK, ChunkedDecoder, encode_chunk
from .errors import ProtocolError
from .parse import RequestHead, parse_head
from .serialize import DateCache, check_header, response_head, status_line

__all__ = ["LAST_CHUNK", "ChunkedDecoder", "DateCache", "ProtocolError", "RequestHead",
           "check_header", "encode_chunk", "parse_head", "response_head", "status_line"]
