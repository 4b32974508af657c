"""Helpers for the gonet.http tests: a server in its own thread, raw-socket exchanges, the hostile table.

The server runs in a gonet runtime on a background thread, so that ordinary
blocking clients (``http.client``, ``requests``, ``h11`` over sockets,
``curl``) can drive it from the test's own thread.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import gonet
import gonet.http


class ServerThread:
    """ServerThread runs ``gonet.http.Server(handler, **kw)`` on 127.0.0.1 in a thread of its own.

    Use as a context manager; ``address`` is ``host:port``. ``listen(address)``
    replaces ``gonet.listen("tcp", address)`` (e.g. a TLS listener). On exit the server
    is shut down gracefully (``shutdown(timeout)``) and the thread joined.
    """

    def __init__(self, handler: Any, shutdown_timeout: float = 5.0,
                 listen: Callable[[str], Any] | None = None, **kw: Any) -> None:
        self.handler = handler
        self.listen = listen
        self.kw = kw
        self.shutdown_timeout = shutdown_timeout
        self.ready = threading.Event()
        self.stop_event = threading.Event()
        self.srv: gonet.http.Server | None = None
        self.error: BaseException | None = None
        self.shutdown_result: bool | None = None
        self.port = 0
        self.calls: list[Callable[[], Any]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            gonet.run(self._main)
        except BaseException as e:  # reported by __exit__
            self.error = e
            self.ready.set()

    def _main(self) -> None:
        ln = self.listen("127.0.0.1:0") if self.listen else gonet.listen("tcp", "127.0.0.1:0")
        self.port = ln.addr.port
        self.srv = gonet.http.Server(self.handler, **self.kw)
        g = gonet.go(self.srv.serve, ln)
        self.ready.set()
        gonet.blocking(self.stop_event.wait)
        self.shutdown_result = self.srv.shutdown(self.shutdown_timeout)
        g.join()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("server did not start")
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop_event.set()
        self.thread.join(30)
        if self.thread.is_alive():
            raise RuntimeError("server thread did not stop")
        if self.error is not None and exc[0] is None:
            raise self.error


def connect(address: str, timeout: float = 10.0) -> socket.socket:
    host, port = address.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_to_eof(s: socket.socket, limit: int = 1 << 26) -> bytes:
    """read_to_eof reads until the peer closes; raises ConnectionResetError on a reset."""
    parts = []
    total = 0
    while total < limit:
        data = s.recv(65536)
        if not data:
            break
        parts.append(data)
        total += len(data)
    return b"".join(parts)


def exchange(address: str, raw: bytes, timeout: float = 10.0) -> bytes:
    """exchange sends ``raw`` and returns everything the server sends until it closes."""
    with connect(address, timeout) as s:
        s.sendall(raw)
        return read_to_eof(s)


def status_of(response: bytes) -> int:
    line = response.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    assert parts[0] in (b"HTTP/1.1", b"HTTP/1.0"), response[:200]
    return int(parts[1])


def hello_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world!"]


def echo_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """echo_wsgi answers with the request body (read through wsgi.input)."""
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(body)))])
    return [body]


def wait_until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.01)


H = b"Host: x\r\n"

#: HOSTILE: (id, raw request, status). Each must be answered with exactly that status and a clean close.
#: The server used for the socket version has max_body_bytes=1000.
HOSTILE: list[tuple[str, bytes, int]] = [
    ("request line without version", b"GET /\r\n" + H + b"\r\n", 400),
    ("double space in request line", b"GET  / HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("junk after version", b"GET / HTTP/1.1 x\r\n" + H + b"\r\n", 400),
    ("bad method char", b"G<T / HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("bad protocol name", b"GET / HTTX/1.1\r\n" + H + b"\r\n", 400),
    ("bad version digits", b"GET / HTTP/1.x\r\n" + H + b"\r\n", 400),
    ("long version", b"GET / HTTP/10.0\r\n" + H + b"\r\n", 400),
    ("control char in target", b"GET /\x01 HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("obsolete line folding", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n", 400),
    ("obs-fold tab", b"GET / HTTP/1.1\r\nHost: x\r\n\tX-A: 1\r\n\r\n", 400),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("tab before colon", b"GET / HTTP/1.1\r\n" + H + b"X-A\t: 1\r\n\r\n", 400),
    ("header without colon", b"GET / HTTP/1.1\r\n" + H + b"X-A 1\r\n\r\n", 400),
    ("empty header name", b"GET / HTTP/1.1\r\n" + H + b": 1\r\n\r\n", 400),
    ("bad char in header name", b"GET / HTTP/1.1\r\n" + H + b"X(A): 1\r\n\r\n", 400),
    ("NUL in header value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", 400),
    ("control char in header value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x01b\r\n\r\n", 400),
    ("DEL in header value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x7fb\r\n\r\n", 400),
    ("bare CR in header value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n", 400),
    ("bare LF line ends", b"GET / HTTP/1.1\nHost: x\n\n", 400),
    ("bare LF inside headers", b"GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n", 400),
    ("missing Host (1.1)", b"GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", 400),
    ("two Host headers", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("TE and CL together",
     b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ("conflicting Content-Length",
     b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
    ("conflicting Content-Length list",
     b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5, 6\r\n\r\nhello", 400),
    ("non-numeric Content-Length", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: abc\r\n\r\n", 400),
    ("negative Content-Length", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n", 400),
    ("plus-signed Content-Length", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: +5\r\n\r\nhello", 400),
    ("huge Content-Length", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 9" + b"9" * 30 + b"\r\n\r\n", 400),
    ("chunked not last", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("empty transfer coding", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: ,chunked\r\n\r\n", 400),
    ("unknown transfer coding", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n", 501),
    ("gzip then chunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505),
    ("HTTP/0.9 versioned", b"GET / HTTP/0.9\r\n" + H + b"\r\n", 505),
    ("HTTP/3.0", b"GET / HTTP/3.0\r\n" + H + b"\r\n", 505),
    ("unsupported Expect", b"POST / HTTP/1.1\r\n" + H + b"Expect: teapot\r\nContent-Length: 1\r\n\r\nx", 417),
    ("request line over 8 KiB", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
    ("header section over 64 KiB", b"GET / HTTP/1.1\r\n" + H + b"X-A: " + b"a" * 70000 + b"\r\n\r\n", 431),
    ("101 header fields", b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: 1\r\n" % i for i in range(100))
     + b"\r\n", 431),
    ("body over the limit", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 2000\r\n\r\n", 413),
]

#: HOSTILE_BODY: chunked bodies that are wrong; the handler reads the body (echo_wsgi).
CHUNKED = b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
HOSTILE_BODY: list[tuple[str, bytes, int]] = [
    ("chunk size not hex", CHUNKED + b"zz\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size empty", CHUNKED + b"\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size overflow", CHUNKED + b"fffffffffffffffff\r\nx\r\n0\r\n\r\n", 400),
    ("negative chunk size", CHUNKED + b"-5\r\nhello\r\n0\r\n\r\n", 400),
    ("whitespace after chunk size", CHUNKED + b"5 \r\nhello\r\n0\r\n\r\n", 400),
    ("chunk data without CRLF", CHUNKED + b"5\r\nhelloXX0\r\n\r\n", 400),
    ("bare LF after chunk size", CHUNKED + b"5\nhello\r\n0\r\n\r\n", 400),
    ("bad chunk extension", CHUNKED + b"5;\x01\r\nhello\r\n0\r\n\r\n", 400),
    ("bad trailer", CHUNKED + b"5\r\nhello\r\n0\r\nX A\r\n\r\n", 400),
    ("chunked body over the limit", CHUNKED + b"".join(b"100\r\n" + b"a" * 256 + b"\r\n" for _ in range(5))
     + b"0\r\n\r\n", 413),
]
