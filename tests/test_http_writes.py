"""The response writer's syscall shape, with a recording connection: head and first body in one write."""

from __future__ import annotations

from typing import Any

import gonet
from gonet.http import Request, ResponseWriter, Server, WSGIHandler
from gonet.http._h1 import parse_head
from gonet.http.conn import ServerConn
from gonet.http.request import Body


class RecordingConn:
    """Just enough of gonet.Conn for the writer: records every write."""

    local_addr = gonet.Addr("tcp", "127.0.0.1", 8000)
    remote_addr = gonet.Addr("tcp", "127.0.0.1", 40000)

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.writes.append(bytes(data))
        return len(data)

    def set_write_deadline(self, t: float | None) -> None:
        pass

    def set_read_deadline(self, t: float | None) -> None:
        pass


def serve_one(handler: Any, raw: bytes = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") -> list[bytes]:
    """Run ``handler`` for one parsed request the way ServerConn.serve does; return the writes."""
    def main() -> list[bytes]:
        conn = RecordingConn()
        srv = Server(handler, write_timeout=None)
        sc = ServerConn(srv, conn)  # type: ignore[arg-type]
        parsed = parse_head(raw)
        assert parsed is not None
        head, _ = parsed
        req = Request(head, Body(sc, head.content_length, head.chunked, head.expect_continue),
                      conn.remote_addr)
        w = ResponseWriter(sc, req)
        sc.writer = w
        handler(w, req)
        w._finish()
        return conn.writes
    return gonet.run(main)


def test_small_response_is_one_write() -> None:
    writes = serve_one(lambda w, r: w.write(b"Hello, world!"))
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"\r\n\r\nHello, world!")
    assert b"Content-Length: 13\r\n" in writes[0]


def test_wsgi_list_response_is_one_write() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"Hello, world!"]

    writes = serve_one(WSGIHandler(app))
    assert len(writes) == 1 and writes[0].endswith(b"\r\n\r\nHello, world!")


def test_streaming_head_goes_with_the_first_chunk() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [])
        return iter([b"", b"first", b"second"])

    writes = serve_one(WSGIHandler(app))
    assert writes[0].endswith(b"Transfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
    assert writes[1:] == [b"6\r\nsecond\r\n", b"0\r\n\r\n"]


def test_head_request_writes_only_the_head() -> None:
    writes = serve_one(lambda w, r: w.write(b"x" * 100), b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(writes) == 1 and writes[0].endswith(b"\r\n\r\n")  # the head, no body
    assert b"Content-Length: 100\r\n" in writes[0]


def test_empty_response_is_200_with_zero_length() -> None:
    writes = serve_one(lambda w, r: None)
    assert len(writes) == 1 and writes[0].startswith(b"HTTP/1.1 200 OK")
    assert b"Content-Length: 0\r\n" in writes[0]


def test_header_changes_after_write_header_or_write_are_ignored() -> None:
    # Go's ResponseWriter.Header: "Changing the header map after a call to WriteHeader
    # (or Write) has no effect" -- even while the body is still buffered.
    def after_write_header(w: ResponseWriter, r: Request) -> None:
        w.headers["X-Before"] = "1"
        w.write_header(201)
        w.headers["X-After"] = "late"
        w.headers["X-Before"] = "changed"
        w.write(b"body")

    def after_write(w: ResponseWriter, r: Request) -> None:
        w.write(b"body")
        w.headers.add("X-After", "late")

    for handler, status in ((after_write_header, b"201 Created"), (after_write, b"200 OK")):
        writes = serve_one(handler)
        assert len(writes) == 1
        out = writes[0]
        assert out.startswith(b"HTTP/1.1 " + status + b"\r\n") and out.endswith(b"\r\n\r\nbody")
        assert b"X-After" not in out
        assert b"Content-Length: 4\r\n" in out
    assert b"X-Before: 1\r\n" in serve_one(after_write_header)[0]
