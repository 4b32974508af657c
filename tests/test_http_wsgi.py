"""The WSGI adapter's per-connection state and its caches never change what a request sees.

A connection keeps one ``_Start`` (its environ template and the
``start_response`` callable) for all its requests, reusing it only while
nothing else holds it; header pairs and status lines are checked once and
cached; ``SERVER_NAME`` is remembered per connection. These tests drive
keep-alive and pipelined connections through those paths and check every
response and every environ against what a fresh request would get.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from gonet.http import Request, ResponseWriter, WSGIError, WSGIHandler
from httputil import ServerThread, connect, exchange, read_to_eof, status_of


def responses(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split a run of responses that all carry Content-Length into (head, body) pairs."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, data
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        out.append((head, rest[:length]))
        data = rest[length:]
    return out


def test_a_kept_start_response_is_never_reused_and_cannot_reach_a_later_response(
        caplog: pytest.LogCaptureFixture) -> None:
    kept: list[Any] = []
    is_kept: list[bool] = []
    late: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        q = environ["QUERY_STRING"]
        is_kept.append(bool(kept) and start_response is kept[0])
        if q == "keep":
            kept.append(start_response)  # as a global or a goroutine would
        if q == "late":
            # The kept one, from an earlier request of this connection: calling it (and its
            # write) must fail, not write into this response.
            try:
                kept[0]("200 OK", [])(b"from the past")
            except WSGIError as e:
                late.append(str(e))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(q)))])
        return [q.encode()]

    with caplog.at_level(logging.CRITICAL, logger="gonet.http"), \
            ServerThread(WSGIHandler(app)) as st, connect(st.address) as s:
        s.sendall(b"".join(b"GET /?%s HTTP/1.1\r\nHost: x\r\n\r\n" % q
                           for q in (b"a", b"b", b"keep", b"c", b"late", b"d"))
                  + b"GET /?e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(s)
    assert [body for _, body in responses(data)] == [b"a", b"b", b"keep", b"c", b"late", b"d", b"e"]
    assert late == ["start_response called after its request ended"]
    assert is_kept == [False] * 7


def test_two_handlers_on_one_connection_each_get_their_own_environ() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}|{environ['wsgi.url_scheme']}".encode()]

    a = WSGIHandler(app, script_name="/a")
    b = WSGIHandler(app, script_name="/b", url_scheme="https")

    def mux(w: ResponseWriter, r: Request) -> None:
        (a if r.path.startswith("/a") else b)(w, r)

    with ServerThread(mux) as st, connect(st.address) as s:
        s.sendall(b"GET /a/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /b/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /a/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(s)
    assert [body for _, body in responses(data)] == [b"/a|/1|http", b"/b|/2|https", b"/a|/3|http"]


def test_server_name_follows_each_requests_host() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [f"{environ['SERVER_NAME']} {environ.get('HTTP_HOST')}".encode()]

    hosts = [b"a.example:8080", b"a.example:8080", b"b.example", b"[::1]:9000", b"a.example:8080"]
    with ServerThread(WSGIHandler(app)) as st, connect(st.address) as s:
        s.sendall(b"".join(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % h for h in hosts)
                  + b"GET / HTTP/1.0\r\n\r\n")  # no Host: the listener's address, and the close
        data = read_to_eof(s)
    assert [body for _, body in responses(data)] == [
        b"a.example a.example:8080", b"a.example a.example:8080", b"b.example b.example",
        b"::1 [::1]:9000", b"a.example a.example:8080", b"127.0.0.1 None"]


def test_cached_header_checks_keep_content_length_and_refusals() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        q = environ["QUERY_STRING"]
        if q == "bad":
            start_response("200 OK", [("Content-Length", "3"), ("Connection", "close")])
        elif q == "tuple":
            start_response("200 OK", [("Content-Length", "3")])
            return (b"abcdef",)
        elif q == "empty":
            start_response("204 No Content", [])
            return ()
        else:
            start_response("200 OK", [("Content-Length", "3")])
        return [b"abcdef"]  # longer than declared: cut to 3

    with ServerThread(WSGIHandler(app)) as st:
        for _ in range(2):  # the second time every check comes from the caches
            with connect(st.address) as s:
                s.sendall(b"GET /?x HTTP/1.1\r\nHost: x\r\n\r\nGET /?tuple HTTP/1.1\r\nHost: x\r\n\r\n"
                          b"GET /?empty HTTP/1.1\r\nHost: x\r\n\r\n"
                          b"GET /?y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = read_to_eof(s)
            parts = data.split(b"HTTP/1.1 ")[1:]
            assert [p.split(b"\r\n", 1)[0] for p in parts] == [b"200 OK", b"200 OK", b"204 No Content",
                                                               b"200 OK"]
            assert parts[0].endswith(b"\r\n\r\nabc") and parts[1].endswith(b"\r\n\r\nabc")
            assert parts[2].endswith(b"\r\n\r\n") and parts[3].endswith(b"\r\n\r\nabc")
            assert status_of(exchange(st.address, b"GET /?bad HTTP/1.1\r\nHost: x\r\n\r\n")) == 500


def test_a_cached_header_pair_does_not_let_a_str_subclass_through() -> None:
    class Name(str):
        pass

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        name = Name("X-Kind") if environ["QUERY_STRING"] == "sub" else "X-Kind"
        start_response("200 OK", [(name, "a"), ("Content-Length", "2")])
        return [b"ok"]

    def request(query: str) -> bytes:
        return f"GET /?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()

    with ServerThread(WSGIHandler(app)) as st:
        # The plain pair first, so the second request's equal pair would hit the cache.
        assert status_of(exchange(st.address, request("plain"))) == 200
        assert status_of(exchange(st.address, request("sub"))) == 500
        assert status_of(exchange(st.address, request("plain"))) == 200


def test_start_response_and_write_after_their_request_are_errors() -> None:
    kept: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        kept.append((start_response, start_response("200 OK", [])))
        return [b"ok"]

    with ServerThread(WSGIHandler(app)) as st:
        assert exchange(st.address, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        ).endswith(b"\r\n\r\nok")
    start_response, write = kept[0]
    with pytest.raises(WSGIError, match="after its request ended"):
        start_response("200 OK", [])
    with pytest.raises(WSGIError, match="after its request ended"):
        write(b"late")


def _environ_recorder(seen: list[dict[str, Any]]) -> Any:
    """A WSGI app recording what each request's environ holds, then changing its own copy."""
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        rec = {k: v for k, v in environ.items() if k not in ("wsgi.input", "wsgi.errors", "REMOTE_PORT")}
        rec["body"] = environ["wsgi.input"].read()
        seen.append(rec)
        environ["X_MUTATED"] = True  # an app may change its environ: never the next request's
        del environ["PATH_INFO"]
        environ["HTTP_HOST"] = "changed"
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]
    return app


def test_each_environ_on_a_kept_alive_connection_is_what_a_fresh_one_would_be() -> None:
    # The first request's environ is the connection's template: later ones equal to it in
    # their headers copy it and overwrite what differs, the others are built afresh.
    reqs = [b"GET /p?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /p?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"HEAD /p?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /sub/other%20x?z HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /p?q=1 HTTP/1.1\r\nHost: y:81\r\nUser-Agent: t\r\n\r\n",
            b"POST /p?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
            b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
            b"GET /p?q=1 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.1.2.3\r\n\r\n",
            b"GET /p?q=1 HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\n\r\n",
            b"GET /p?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /p?q=1 HTTP/1.0\r\nHost: x\r\n\r\n"]  # same headers, HTTP/1.0: and the close
    end = b"GET /end HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    for script in ("", "/sub"):
        seen: list[dict[str, Any]] = []
        with ServerThread(WSGIHandler(_environ_recorder(seen), script_name=script)) as st:
            with connect(st.address) as s:
                s.sendall(b"".join(reqs))
                read_to_eof(s)
            kept = seen[:]
            seen.clear()
            for raw in reqs:  # each as the first request of a connection of its own
                with connect(st.address) as s:
                    s.sendall(raw + end)
                    read_to_eof(s)
        assert len(kept) == len(reqs)
        assert kept == seen[::2], script
        assert kept[2]["REQUEST_METHOD"] == "HEAD" and kept[3]["QUERY_STRING"] == "z"
        assert kept[-1]["SERVER_PROTOCOL"] == "HTTP/1.0" and kept[-2] == kept[0]
