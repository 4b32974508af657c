"""gonet.http over real sockets: http.client, requests, h11 on raw sockets, curl; WSGI semantics."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import subprocess
import wsgiref.validate
from typing import Any

import h11
import pytest
import requests

import gonet
from gonet.http import Request, ResponseWriter, WSGIHandler
from gonet.testing import MockClock, gotest
from httputil import (
    HOSTILE,
    HOSTILE_BODY,
    ServerThread,
    connect,
    echo_wsgi,
    exchange,
    hello_wsgi,
    read_to_eof,
    status_of,
)

CURL = shutil.which("curl")


def wsgi(app: Any, **kw: Any) -> ServerThread:
    return ServerThread(WSGIHandler(app), **kw)


def h11_request(sock: Any, client: h11.Connection, method: str, target: str,
                headers: list[tuple[str, str]],
                body: bytes | list[bytes] = b"") -> tuple[h11.Response, bytes]:
    """Send one request with h11 on ``sock`` and read the whole response."""
    out = client.send(h11.Request(method=method, target=target, headers=headers))
    chunks = body if isinstance(body, list) else ([body] if body else [])
    for c in chunks:
        out += client.send(h11.Data(data=c))
    out += client.send(h11.EndOfMessage())
    sock.sendall(out)
    response = None
    data = []
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA:
            client.receive_data(sock.recv(65536))
            continue
        if isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            data.append(bytes(event.data))
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            break
    assert response is not None
    return response, b"".join(data)


# --- clients ---------------------------------------------------------------------------------

def test_http_client_keep_alive() -> None:
    with wsgi(hello_wsgi) as st:
        conn = http.client.HTTPConnection("127.0.0.1", st.port, timeout=10)
        socks = set()
        for i in range(5):
            conn.request("GET", f"/{i}")
            r = conn.getresponse()
            assert r.status == 200 and r.read() == b"Hello, world!"
            assert r.getheader("Content-Length") == "13" and r.getheader("Date")
            socks.add(id(conn.sock))
        assert len(socks) == 1  # one connection served all five
        conn.close()


def test_requests_environ_and_post() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update({k: v for k, v in environ.items() if isinstance(v, str)})
        body = environ["wsgi.input"].read()
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Len", str(len(body)))])
        return [body.upper()]

    with wsgi(app) as st, requests.Session() as s:
        r = s.post(f"http://{st.address}/a%20b/c?x=1&y=%20", data=b"payload", headers={"X-Custom": "v"},
                   timeout=10)
        assert r.status_code == 201 and r.content == b"PAYLOAD" and r.headers["X-Len"] == "7"
        assert r.reason == "Created"
    assert seen["REQUEST_METHOD"] == "POST"
    assert seen["PATH_INFO"] == "/a b/c" and seen["QUERY_STRING"] == "x=1&y=%20"
    assert seen["CONTENT_LENGTH"] == "7" and seen["HTTP_X_CUSTOM"] == "v"
    assert seen["SERVER_PROTOCOL"] == "HTTP/1.1" and seen["REMOTE_ADDR"] == "127.0.0.1"
    assert seen["SERVER_PORT"] == str(st.port) and seen["wsgi.url_scheme"] == "http"
    assert "HTTP_CONTENT_LENGTH" not in seen


def test_h11_chunked_both_ways_keep_alive() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])

        def gen() -> Any:
            for i in range(3):
                yield b"part%d:" % i + body
        return gen()

    with wsgi(app) as st, connect(st.address) as sock:
        client = h11.Connection(h11.CLIENT)
        for _ in range(3):
            resp, data = h11_request(sock, client, "POST", "/",
                                     [("Host", "x"), ("Transfer-Encoding", "chunked")],
                                     [b"ab", b"cd", b"e"])
            assert resp.status_code == 200
            assert (b"transfer-encoding", b"chunked") in resp.headers
            assert data == b"part0:abcdepart1:abcdepart2:abcde"
            client.start_next_cycle()


def test_wsgiref_validator_passes() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inp = environ["wsgi.input"]
        first = inp.readline()
        rest = inp.read(int(environ.get("CONTENT_LENGTH") or 0) - len(first))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [first + b"|" + rest]

    with wsgi(wsgiref.validate.validator(app)) as st:
        r = requests.post(f"http://{st.address}/p", data=b"line1\nline2\n", timeout=10)
        assert r.status_code == 200 and r.content == b"line1\n|line2\n"
        r = requests.get(f"http://{st.address}/g?q=1", timeout=10)
        assert r.status_code == 200 and r.content == b"|"


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_curl_get_post_head_chunked_and_continue() -> None:
    assert CURL is not None
    with wsgi(echo_wsgi) as st:
        url = f"http://{st.address}/"
        out = subprocess.run([CURL, "-sS", "--max-time", "10", "--data-binary", "hello", url],
                             capture_output=True, timeout=30)
        assert out.returncode == 0 and out.stdout == b"hello"
        out = subprocess.run([CURL, "-sS", "--max-time", "10", "-H", "Transfer-Encoding: chunked",
                              "--data-binary", "chunky", url], capture_output=True, timeout=30)
        assert out.stdout == b"chunky"
        out = subprocess.run([CURL, "-sS", "-v", "--max-time", "10", "-H", "Expect: 100-continue",
                              "--data-binary", "x" * 5000, url], capture_output=True, timeout=30)
        assert out.stdout == b"x" * 5000 and b"HTTP/1.1 100 Continue" in out.stderr
        out = subprocess.run([CURL, "-sS", "-I", "--max-time", "10", url], capture_output=True, timeout=30)
        assert out.stdout.startswith(b"HTTP/1.1 200 OK") and b"Content-Length: 0" in out.stdout


# --- protocol behaviour ----------------------------------------------------------------------

def test_pipelining_answers_in_order() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    with wsgi(app) as st, connect(st.address) as s:
        s.sendall(b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(10))
                  + b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(s)
    bodies = [part.split(b"\r\n\r\n", 1)[1][:5] for part in data.split(b"HTTP/1.1 200 OK")[1:]]
    assert [b.rstrip(b"H") for b in bodies] == [b"/%d" % i for i in range(10)] + [b"/last"]


def test_expect_continue_only_when_body_is_read() -> None:
    with wsgi(echo_wsgi) as st, connect(st.address) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"hello")
        data = s.recv(4096)
        assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"hello")

    with wsgi(hello_wsgi) as st, connect(st.address) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        data = read_to_eof(s)  # no 100: the app never read the body; the server closes after
        assert data.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in data
        assert b"100 Continue" not in data


def test_head_writes_no_body() -> None:
    with wsgi(hello_wsgi) as st, connect(st.address) as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(s)
    head, rest = data.split(b"\r\n\r\n", 1)
    assert b"Content-Length: 13" in head
    assert rest.startswith(b"HTTP/1.1 200 OK")  # the HEAD response had no body
    assert rest.endswith(b"\r\n\r\nHello, world!")


def test_http10() -> None:
    with wsgi(hello_wsgi) as st:
        data = exchange(st.address, b"GET / HTTP/1.0\r\n\r\n")
        assert data.startswith(b"HTTP/1.0 200 OK") and data.endswith(b"Hello, world!")
        with connect(st.address) as s:
            s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            first = s.recv(4096)
            assert b"Connection: keep-alive" in first
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert read_to_eof(s).endswith(b"Hello, world!")


def test_http10_streaming_is_close_delimited() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [])
        return iter([b"a", b"b", b"c"])

    with wsgi(app) as st:
        data = exchange(st.address, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    head, body = data.split(b"\r\n\r\n", 1)
    assert body == b"abc" and b"Connection: close" in head and b"chunked" not in head


def test_connection_close_is_honoured() -> None:
    with wsgi(hello_wsgi) as st:
        data = exchange(st.address, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert data.endswith(b"Hello, world!") and b"Connection: close" in data


@pytest.mark.parametrize(("name", "raw", "status"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_request_over_socket(name: str, raw: bytes, status: int) -> None:
    with wsgi(echo_wsgi, max_body_bytes=1000) as st:
        data = exchange(st.address, raw)  # read until EOF: raises on a reset instead of a clean close
        assert status_of(data) == status
        assert b"Connection: close" in data.split(b"\r\n\r\n")[0]
        # and the server keeps serving
        ok = exchange(st.address, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status_of(ok) == 200


@pytest.mark.parametrize(("name", "raw", "status"), HOSTILE_BODY, ids=[c[0] for c in HOSTILE_BODY])
def test_hostile_chunked_body_over_socket(name: str, raw: bytes, status: int) -> None:
    with wsgi(echo_wsgi, max_body_bytes=1000) as st:
        data = exchange(st.address, raw)
        assert status_of(data) == status


def test_large_bodies_both_ways() -> None:
    payload = os.urandom(3 << 20)
    with wsgi(echo_wsgi) as st:
        r = requests.post(f"http://{st.address}/", data=payload, timeout=30)
        assert r.content == payload
        pieces = iter([payload[:1 << 20], payload[1 << 20:]])
        r = requests.post(f"http://{st.address}/", data=pieces, timeout=30)
        assert r.content == payload  # chunked upload


def test_sendfile_32_mib(tmp_path: Any) -> None:
    path = tmp_path / "big.bin"
    data = os.urandom(1 << 20) * 32
    path.write_bytes(data)
    want = hashlib.sha256(data).hexdigest()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        f = open(path, "rb")  # noqa: SIM115 - the file wrapper closes it
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](f, 65536)

    with wsgi(app) as st, connect(st.address, timeout=30) as s:
        for _ in range(2):  # keep-alive after a sendfile response
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += s.recv(65536)
            head, body = buf.split(b"\r\n\r\n", 1)
            assert b"Content-Length: 33554432" in head
            h = hashlib.sha256(body)
            got = len(body)
            while got < len(data):
                chunk = s.recv(1 << 20)
                assert chunk
                h.update(chunk)
                got += len(chunk)
            assert got == len(data) and h.hexdigest() == want


# --- errors from the application -------------------------------------------------------------

def test_app_exception_is_500_logged_and_server_keeps_serving(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/boom":
            raise ZeroDivisionError("boom")
        return hello_wsgi(environ, start_response)

    with caplog.at_level(logging.ERROR, logger="gonet.http"), wsgi(app) as st:
        data = exchange(st.address, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(data) == 500
        r = requests.get(f"http://{st.address}/ok", timeout=10)
        assert r.status_code == 200
    recs = [r for r in caplog.records if r.name == "gonet.http" and r.exc_info]
    assert recs and recs[0].exc_info[0] is ZeroDivisionError  # type: ignore[index]


def _bad_twice(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    start_response("200 OK", [])
    return [b"x"]


def _bad_write_first(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    return [b"body before start_response"]


def _bad_status(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("OK", [])
    return [b"x"]


def _bad_status_type(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response(200, [])
    return [b"x"]


def _bad_header_type(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("X-A", 1)])
    return [b"x"]


def _bad_header_bytes(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [(b"X-A", b"1")])
    return [b"x"]


def _bad_hop_by_hop(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Connection", "keep-alive")])
    return [b"x"]


def _bad_header_crlf(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("X-A", "a\r\nInjected: yes")])
    return [b"x"]


def _bad_str_body(environ: dict[str, Any], start_response: Any) -> list[str]:
    start_response("200 OK", [])
    return ["text"]


def _bad_write_callable(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    write = start_response("200 OK", [])
    write("text")
    return []


@pytest.mark.parametrize("app", [_bad_twice, _bad_write_first, _bad_status, _bad_status_type,
                                 _bad_header_type, _bad_header_bytes, _bad_hop_by_hop, _bad_header_crlf,
                                 _bad_str_body, _bad_write_callable], ids=lambda f: f.__name__)
def test_start_response_misuse_is_500(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL, logger="gonet.http"), wsgi(app) as st:
        data = exchange(st.address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(data) == 500 and b"Injected" not in data


def test_exc_info_replaces_headers_before_they_are_sent() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("X-First", "1")])
        try:
            raise ValueError("late failure")
        except ValueError:
            import sys
            start_response("503 Service Unavailable", [("X-Second", "1")], sys.exc_info())
        return [b"sorry"]

    with wsgi(app) as st:
        r = requests.get(f"http://{st.address}/", timeout=10)
        assert r.status_code == 503 and "X-Second" in r.headers and "X-First" not in r.headers
        assert r.content == b"sorry"


def test_exc_info_after_headers_sent_reraises(caplog: pytest.LogCaptureFixture) -> None:
    closed = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [])

        def gen() -> Any:
            try:
                yield b"first"
                try:
                    raise KeyError("mid-stream")
                except KeyError:
                    import sys
                    start_response("500 Oops", [], sys.exc_info())
                yield b"never"
            finally:
                closed.append(True)
        return gen()

    with caplog.at_level(logging.CRITICAL, logger="gonet.http"), wsgi(app) as st:
        data = exchange(st.address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200 OK") and b"first" in data and b"never" not in data
        assert not data.endswith(b"0\r\n\r\n")  # the response is cut, not completed
    assert closed == [True]


def test_content_length_is_respected() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/long":
            start_response("200 OK", [("Content-Length", "5")])
            return iter([b"hel", b"lo world"])
        start_response("200 OK", [("Content-Length", "10")])
        return iter([b"short"])

    with wsgi(app) as st, connect(st.address) as s:
        s.sendall(b"GET /long HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while not data.endswith(b"hello"):
            data += s.recv(4096)
        s.sendall(b"GET /short HTTP/1.1\r\nHost: x\r\n\r\n")
        rest = read_to_eof(s)  # too short: the server closes after it
        assert rest.endswith(b"\r\n\r\nshort") and b"world" not in data + rest


def test_iterable_close_is_always_called() -> None:
    closed: list[str] = []

    class Body:
        def __init__(self, name: str, fail: bool = False) -> None:
            self.name = name
            self.fail = fail

        def __iter__(self) -> Any:
            yield b"a"
            if self.fail:
                raise RuntimeError("fails while iterating")
            yield b"b"

        def close(self) -> None:
            closed.append(self.name)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [])
        name = environ["PATH_INFO"]
        return Body(name, fail=name == "/fail")

    with wsgi(app) as st:
        assert exchange(st.address, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").endswith(
            b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n")
        exchange(st.address, b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
        exchange(st.address, b"HEAD /head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert sorted(closed) == ["/fail", "/head", "/ok"]


def test_client_disconnect_mid_response_costs_only_its_goroutine() -> None:
    errors: list[BaseException] = []
    closed = []

    def handler(w: ResponseWriter, r: Request) -> None:
        if r.path == "/ok":
            w.write(b"ok")
            return
        try:
            while True:
                w.write(b"x" * 65536)
                w.flush()
        except OSError as e:
            errors.append(e)
            raise
        finally:
            closed.append(True)

    with ServerThread(handler) as st:
        with connect(st.address) as s:
            s.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(1024).startswith(b"HTTP/1.1 200 OK")
        from httputil import wait_until
        wait_until(lambda: bool(closed))
        assert isinstance(errors[0], OSError)
        assert requests.get(f"http://{st.address}/ok", timeout=10).content == b"ok"


def test_native_handler_interface() -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        assert r.proto == "HTTP/1.1" and r.proto_major == 1 and r.proto_minor == 1
        assert isinstance(r.remote_addr, gonet.Addr) and r.remote_addr.host == "127.0.0.1"
        w.headers["Content-Type"] = "text/plain"
        w.headers.add("X-Multi", "1")
        w.headers.add("X-Multi", "2")
        body = r.body.read()
        if r.path == "/teapot":
            w.write_header(418)
        w.write(f"{r.method} {r.path} {r.query} {r.headers.get('x-a')} {body!r}".encode())

    with ServerThread(handler) as st:
        r = requests.post(f"http://{st.address}/teapot?q=1", data=b"b", headers={"X-A": "z"}, timeout=10)
        assert r.status_code == 418 and r.text == "POST /teapot q=1 z b'b'"
        assert r.headers["X-Multi"] == "1, 2"


def test_forwarded_headers_only_from_trusted_peers() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [f"{environ['REMOTE_ADDR']} {environ['wsgi.url_scheme']}".encode()]

    hdrs = {"X-Forwarded-For": "203.0.113.9, 127.0.0.1", "X-Forwarded-Proto": "https"}
    with wsgi(app, forwarded_allow_ips=["127.0.0.1"]) as st:
        assert requests.get(f"http://{st.address}/", headers=hdrs, timeout=10).text == "203.0.113.9 https"
    with wsgi(app, forwarded_allow_ips=[]) as st:
        assert requests.get(f"http://{st.address}/", headers=hdrs, timeout=10).text == "127.0.0.1 http"


def test_access_log_records() -> None:
    records: list[dict[str, Any]] = []
    with wsgi(hello_wsgi, access_log=records.append) as st:
        requests.get(f"http://{st.address}/x?y", headers={"User-Agent": "ua", "Referer": "r"}, timeout=10)
    rec = records[0]
    assert (rec["method"], rec["target"], rec["status"], rec["bytes"], rec["user_agent"], rec["referer"]) == \
        ("GET", "/x?y", 200, 13, "ua", "r")
    assert rec["remote"] == "127.0.0.1" and rec["proto"] == "HTTP/1.1" and rec["duration"] >= 0


def test_pipelined_bodies_are_never_read_past() -> None:
    seen: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inp = environ["wsgi.input"]
        body = b""
        if environ["PATH_INFO"] != "/unread":
            body = inp.read()
            assert inp.read(10) == b""  # at the end of this body, whatever follows on the wire
        seen.append(body)
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode() + b":" + body]

    with wsgi(app) as st, connect(st.address) as s:
        s.sendall(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                  b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                  b"POST /unread HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nskip"
                  b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(s)
    bodies = [part.split(b"\r\n\r\n", 1)[1] for part in data.split(b"HTTP/1.1 200 OK")[1:]]
    assert [b.split(b"0\r\n\r\n")[0] for b in bodies] == [b"/a:hello", b"/b:abc", b"/unread:", b"/c:"]
    assert seen == [b"hello", b"abc", b"", b""]


def test_informational_and_no_body_statuses() -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        if r.path == "/103":
            w.headers["Link"] = "</style.css>; rel=preload"
            w.write_header(103)
            w.write(b"final")
        elif r.path == "/204":
            w.write_header(204)
            w.write_header(500)  # superfluous: ignored
            with pytest.raises(gonet.http.BodyNotAllowedError):
                w.write(b"x")

    with ServerThread(handler) as st, connect(st.address) as s:
        s.sendall(b"GET /103 HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(s)
    assert data.startswith(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                           b"HTTP/1.1 200 OK")
    _, second = data.split(b"final", 1)
    assert second.startswith(b"HTTP/1.1 204 No Content") and second.endswith(b"\r\n\r\n")
    assert b"Content-Length" not in second


def test_native_streaming_and_content_length_errors() -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        if r.path == "/declared":
            w.headers["Content-Length"] = "3"
            w.write(b"abc")
            with pytest.raises(gonet.http.ContentLengthError):
                w.write(b"d")
            return
        for i in range(3):
            w.write(b"%d" % i)
            w.flush()

    with ServerThread(handler) as st:
        r = requests.get(f"http://{st.address}/stream", timeout=10)
        assert r.headers["Transfer-Encoding"] == "chunked" and r.content == b"012"
        r = requests.get(f"http://{st.address}/declared", timeout=10)
        assert r.content == b"abc"


def test_serve_wsgi_in_a_goroutine() -> None:
    def main() -> bytes:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        g = gonet.go(gonet.http.serve_wsgi, hello_wsgi, ln, script_name="/app")
        c = gonet.dial("tcp", str(ln.addr))
        c.write(b"GET /app/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        while data := c.read():
            got += data
        c.close()
        ln.close()
        srv = g.join()
        assert isinstance(srv, gonet.http.Server) and srv.shutdown(1)
        return got

    assert gonet.run(main).endswith(b"Hello, world!")


def test_sendfile_parks_on_eagain_and_resumes(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every other os.sendfile call reports EAGAIN: the piece goes through conn.write, sendfile resumes."""
    import gonet.http.conn as conn_module

    real = os.sendfile
    calls = {"sendfile": 0, "eagain": 0}

    def flaky_sendfile(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        calls["sendfile"] += 1
        if calls["sendfile"] % 2:
            calls["eagain"] += 1
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real(out_fd, in_fd, offset, min(count, 1 << 20))

    monkeypatch.setattr(conn_module.os, "sendfile", flaky_sendfile)
    data = os.urandom(3 << 20)
    path = tmp_path / "f.bin"
    path.write_bytes(data)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", str(len(data)))])
        return environ["wsgi.file_wrapper"](open(path, "rb"))

    with wsgi(app) as st:
        r = requests.get(f"http://{st.address}/", timeout=30)
        assert r.content == data
    assert calls["eagain"] >= 2 and calls["sendfile"] > calls["eagain"]


@pytest.mark.parametrize(("target", "path", "query"), [
    ("http://example.com/p/q?x=1", "/p/q", "x=1"),
    ("http://example.com", "/", ""),
    ("http://example.com?y", "/", "y"),
    ("*", "*", ""),
    ("/a%2Fb%C3%A9?z", "/a/b\xc3\xa9", "z"),
])
def test_request_target_forms(target: str, path: str, query: str) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [f"{environ['PATH_INFO']}|{environ['QUERY_STRING']}|{environ['RAW_URI']}".encode("latin-1")]

    with wsgi(app) as st:
        data = exchange(st.address, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert data.split(b"\r\n\r\n", 1)[1] == f"{path}|{query}|{target}".encode("latin-1")


WRK = shutil.which("wrk")


@pytest.mark.skipif(WRK is None, reason="wrk is not installed")
@pytest.mark.timeout(60)
def test_wrk_keep_alive_load_has_no_errors() -> None:
    assert WRK is not None
    with wsgi(hello_wsgi) as st:
        out = subprocess.run([WRK, "-t1", "-c50", "-d1s", "--timeout", "5s", f"http://{st.address}/"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert st.srv is not None
        served = st.srv.requests
    text = out.stdout
    assert "Socket errors" not in text and "Non-2xx" not in text, text
    done = int(text.split(" requests in ")[0].split()[-1])
    assert done > 0 and served >= done  # every request wrk counted was answered by the server


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_body_read_n_waits_for_n_bytes_as_a_file_does(framing: str) -> None:
    # PEP 3333: wsgi.input is a file; read(n) returns fewer than n bytes only at the end of
    # the body (Django reads CONTENT_LENGTH bytes in one call). The handler starts reading
    # while only the first half has arrived: the second half is sent once it is inside read.
    import threading

    entered = threading.Event()
    got: list[tuple[bytes, bytes, bytes]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inp = environ["wsgi.input"]
        entered.set()
        first = inp.read(2000)
        buf = bytearray(10)
        n = inp.readinto(buf)
        got.append((first, bytes(buf[:n]), inp.read(5)))
        start_response("200 OK", [])
        return [b"ok"]

    half = b"a" * 1000
    with wsgi(app) as st, connect(st.address) as s:
        if framing == "chunked":
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      b"Connection: close\r\n\r\n3e8\r\n" + half + b"\r\n")
            assert entered.wait(10)
            s.sendall(b"3e8\r\n" + b"b" * 1000 + b"\r\n4\r\ntail\r\n0\r\n\r\n")
        else:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2004\r\n"
                      b"Connection: close\r\n\r\n" + half)
            assert entered.wait(10)
            s.sendall(b"b" * 1000 + b"tail")
        data = read_to_eof(s)
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert got == [(half + b"b" * 1000, b"tail", b"")]


def test_shutdown_serves_a_request_on_a_just_accepted_connection() -> None:
    # Go's Shutdown closes a StateNew connection only once it is 5 s old (issue 22682):
    # a client whose request was on its way when shutdown began is answered
    # (Connection: close), not reset.
    def main() -> bytes:
        srv = gonet.http.Server(lambda w, r: w.write(b"served"))
        ln = gonet.listen("tcp", "127.0.0.1:0")
        g = gonet.go(srv.serve, ln)
        c = gonet.dial("tcp", str(ln.addr))
        c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        while srv.stats()["conns"] == 0:  # accepted; its goroutine has not read yet
            gonet.gosched()
        assert srv.shutdown(5)
        got = b""
        while data := c.read():
            got += data
        c.close()
        g.join()
        return got

    got = gonet.run(main)
    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got.endswith(b"\r\n\r\nserved")
    assert b"Connection: close\r\n" in got


@gotest(clock=MockClock)
def test_shutdown_closes_a_silent_new_connection_after_5s() -> None:
    srv = gonet.http.Server(lambda w, r: w.write(b"served"))
    ln = gonet.listen("tcp", "127.0.0.1:0")
    g = gonet.go(srv.serve, ln)
    c = gonet.dial("tcp", str(ln.addr))  # never sends a byte
    while srv.stats()["conns"] == 0:
        gonet.gosched()
    start = gonet.monotonic()
    assert srv.shutdown()
    assert 5.0 <= gonet.monotonic() - start < 6.0
    assert c.read() == b""
    c.close()
    g.join()
