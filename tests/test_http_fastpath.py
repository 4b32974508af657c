"""gonet.http's fast paths give the general path's answers, and no request sees another's state.

The compiled build parses the common request head with C scanners
(``_h1/parse.pxd``) and checks header fields with a C loop
(``request.pxd``); anything they do not accept goes the general
(regular-expression) way. A head preceded by an empty line always takes
the general way, so ``parse_head(b"\\r\\n" + raw)`` is the reference for
``parse_head(raw)``: same head or same refusal (status and reason), in both
builds. The server tests check that a keep-alive or pipelined connection
never lets request N's headers, query, body or response headers reach
request N+1.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gonet.http import Headers, Request, ResponseWriter, WSGIHandler
from gonet.http._h1 import ProtocolError, check_header, parse_head
from httputil import HOSTILE, ServerThread, connect, read_to_eof


def verdict(raw: bytes, **limits: int) -> tuple[str, Any]:
    """What parse_head makes of ``raw``: the head's fields, None (incomplete) or the refusal."""
    try:
        r = parse_head(raw, **limits)
    except ProtocolError as e:
        return "refused", (e.status, e.reason)
    if r is None:
        return "incomplete", None
    head, used = r
    fields = {k: getattr(head, k) for k in ("method", "target", "minor", "headers", "index", "host",
                                            "content_length", "chunked", "keep_alive",
                                            "expect_continue")}
    return "head", (fields, used)


def assert_same_as_general_path(raw: bytes, **limits: int) -> None:
    fast = verdict(raw, **limits)
    general = verdict(b"\r\n" + raw, **limits)
    if fast[0] == "head" and general[0] == "head":
        assert fast[1][0] == general[1][0]
        assert fast[1][1] + 2 == general[1][1]
    else:
        assert fast == general


COMMON = [
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    b"GET /p?q=1&r=%20 HTTP/1.0\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
    b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Ows:  \t spaced \t \r\nX-Empty:\r\nX-Tab:\tv\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: b=2\r\nAccept: a\r\nAccept: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Latin: caf\xe9 \x80\xff\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET http://example.test/a?b HTTP/1.1\r\nHost: example.test\r\n\r\n",
    b"GET / HTTP/1.5\r\nHost: x\r\n\r\n",
    b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    b"GET / HTTP/1.1\r\nhost: x\r\nCONNECTION: Close\r\n\r\nGET / HTTP/1.1\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # the shortest
    # The names and methods the scanner gives as constant strs, in every spelling.
    b"HEAD / HTTP/1.1\r\nHOST: x\r\nuser-agent: u\r\nUser-agent: v\r\nACCEPT: a\r\n"
    b"accept-encoding: gzip\r\nAccept-Encoding: br\r\nAccept: b\r\nUser-Agent: w\r\n\r\n",
    b"POST /f HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-type: t\r\nconnection: close\r\n"
    b"expect: 100-continue\r\n\r\nhi",
    b"POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-length: 2\r\nExpect: 100-Continue\r\n"
    b"Connection: keep-alive\r\nContent-Type: t\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nExpect: nothing\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-" + b"Long" * 20 + b": v\r\nx-" + b"long" * 20 + b": w\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nHost-X: y\r\nHosts: z\r\n\r\n",
    b"GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n",  # a bare CR in the request line
    b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\r\n\r\n",
    b"DELETE / HTTP/1.1\r\nhost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n",  # incomplete
    b"GET / HTTP/1.1\r\nHo",
]


@pytest.mark.parametrize("raw", COMMON)
def test_common_heads_match_the_general_path(raw: bytes) -> None:
    assert_same_as_general_path(raw)


@pytest.mark.parametrize(("name", "raw", "status"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_heads_match_the_general_path(name: str, raw: bytes, status: int) -> None:
    assert_same_as_general_path(raw)


@pytest.mark.parametrize("limits", [{"max_request_line": 10}, {"max_header_bytes": 20},
                                    {"max_header_fields": 2}])
def test_limits_match_the_general_path(limits: dict[str, int]) -> None:
    raw = (b"GET /a-long-target HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n"
           b"C: 333333333333333333333\r\n\r\n")
    assert verdict(raw, **limits)[0] == "refused"
    assert_same_as_general_path(raw, **limits)
    assert_same_as_general_path(b"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n\r\n", **limits)


# Bytes the scanners treat specially, to make near-miss heads likely.
_PIECES = [b"GET", b"POST", b" ", b"/", b"?q", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.", b"\r\n",
           b"\r", b"\n", b":", b" ", b"\t", b"Host", b"x", b"Content-Length", b"5", b"-1",
           b"Transfer-Encoding", b"chunked", b"\x00", b"\x7f", b"\x80", b"\xff", b"(", b"@", b"a",
           b"HEAD", b"host", b"HOST", b"Connection", b"close", b"expect"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24),
       st.lists(st.tuples(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4),
                          st.lists(st.sampled_from(_PIECES), max_size=5)), max_size=4))
def test_random_heads_match_the_general_path(line: list[bytes],
                                             fields: list[tuple[list[bytes], list[bytes]]]) -> None:
    raw = b"".join(line) + b"\r\n"
    for name, value in fields:
        raw += b"".join(name) + b":" + b"".join(value) + b"\r\n"
    raw += b"\r\n"
    assert_same_as_general_path(raw)
    assert_same_as_general_path(b"GET / HTTP/1.1\r\n" + raw[raw.find(b"\r\n") + 2:])


def header_verdict(fn: Any, name: Any, value: Any) -> str:
    try:
        fn(name, value)
    except ValueError:
        return "refused"
    return "ok"


_CHARS = st.sampled_from(["a", "Z", "0", "-", "!", "~", " ", "\t", "\r", "\n", "\x00", "\x7f",
                          "é", "\xff", "Ā", "€", ":", "(", "\U0001f600"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_CHARS, max_size=6).map("".join), st.lists(_CHARS, max_size=6).map("".join))
def test_header_checks_match_check_header(name: str, value: str) -> None:
    expected = header_verdict(check_header, name, value)
    assert header_verdict(Headers().add, name, value) == expected
    assert header_verdict(Headers().set, name, value) == expected
    h = Headers([("X-Old", "1")])
    assert header_verdict(h.set, name, value) == expected


@pytest.mark.parametrize(("name", "value"), [(b"X-A", "1"), ("X-A", b"1"), ("X-A", 1), (None, "v")])
def test_header_checks_refuse_non_str(name: Any, value: Any) -> None:
    with pytest.raises(ValueError):
        Headers().add(name, value)
    with pytest.raises(ValueError):
        Headers().set(name, value)


def test_headers_set_never_changes_a_list_already_fixed() -> None:
    h = Headers()
    shared = h._items  # type: ignore[attr-defined]
    h.set("X-A", "1")
    assert shared == [] and h.items() == [("X-A", "1")]


# --- state between requests on one connection ------------------------------------------------


def _native_echo(w: ResponseWriter, r: Request) -> None:
    """Answers with everything the request carries; sets a response header only when asked."""
    body = r.body.read()
    if r.query == "set=1":
        w.headers["X-Only-First"] = "yes"
    seen = {"path": r.path, "query": r.query, "headers": r.headers.items(), "body": body.decode(),
            "content_length": r.content_length, "close": r.close}
    w.headers["Content-Type"] = "application/json"
    w.write(json.dumps(seen).encode())


def _wsgi_echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    seen = {"path": environ["PATH_INFO"], "query": environ["QUERY_STRING"], "body": body.decode(),
            "http": sorted(k for k in environ if k.startswith("HTTP_")),
            "content_length": environ.get("CONTENT_LENGTH"), "content_type": environ.get("CONTENT_TYPE")}
    headers = [("Content-Type", "application/json")]
    if environ["QUERY_STRING"] == "set=1":
        headers.append(("X-Only-First", "yes"))
    start_response("200 OK", headers)
    return [json.dumps(seen).encode()]


def split_responses(data: bytes) -> list[tuple[bytes, dict[str, Any]]]:
    """(head, decoded JSON body) of each Content-Length-framed response in ``data``."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        out.append((head, json.loads(rest[:length])))
        data = rest[length:]
    return out


FIRST = (b"POST /first?set=1 HTTP/1.1\r\nHost: x\r\nX-Secret: s3cret\r\nContent-Type: text/plain\r\n"
         b"Content-Length: 6\r\n\r\nbody-1")
SECOND = b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n"
THIRD = b"GET /third?z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize("api", ["native", "wsgi"])
@pytest.mark.parametrize("pipelined", [False, True], ids=["keep-alive", "pipelined"])
def test_no_request_sees_the_previous_ones(api: str, pipelined: bool) -> None:
    handler = _native_echo if api == "native" else WSGIHandler(_wsgi_echo)
    with ServerThread(handler) as st, connect(st.address) as s:
        if pipelined:
            s.sendall(FIRST + SECOND + THIRD)
            data = read_to_eof(s)
        else:
            data = b""
            for raw in (FIRST, SECOND):
                s.sendall(raw)
                while data.count(b"HTTP/1.1 200") < (2 if raw is SECOND else 1) or \
                        len(split_responses_safe(data)) < (2 if raw is SECOND else 1):
                    chunk = s.recv(65536)
                    assert chunk, "server closed early"
                    data += chunk
            s.sendall(THIRD)
            data += read_to_eof(s)
    responses = split_responses(data)
    assert len(responses) == 3
    (h1, first), (h2, second), (h3, third) = responses
    assert b"X-Only-First: yes" in h1
    assert b"X-Only-First" not in h2 and b"X-Only-First" not in h3
    assert first["path"] == "/first" and first["query"] == "set=1" and first["body"] == "body-1"
    for seen, path, query in ((second, "/second", ""), (third, "/third", "z")):
        assert seen["path"] == path and seen["query"] == query and seen["body"] == ""
    if api == "native":
        assert ["X-Secret", "s3cret"] in first["headers"]
        assert second["headers"] == [["Host", "x"]] and second["content_length"] == 0
        assert third["headers"] == [["Host", "x"], ["Connection", "close"]] and third["close"]
    else:
        assert "HTTP_X_SECRET" in first["http"] and first["content_length"] == "6"
        assert first["content_type"] == "text/plain"
        assert second["http"] == ["HTTP_HOST"] and third["http"] == ["HTTP_CONNECTION", "HTTP_HOST"]
        for seen in (second, third):
            assert seen["content_length"] is None and seen["content_type"] is None


def split_responses_safe(data: bytes) -> list[Any]:
    """split_responses on what has arrived so far ([] while a response is still partial)."""
    try:
        return split_responses(data)
    except (StopIteration, ValueError):
        return []


# --- the response head cache (one per connection) ---------------------------------------------


def _varying(w: ResponseWriter, r: Request) -> None:
    """Status, reason, header values and body length all taken from the query."""
    q = dict(p.split("=", 1) for p in r.query.split("&") if "=" in p)
    if "v" in q:
        w.headers["X-V"] = q["v"]
    w.headers["Content-Type"] = "text/plain"
    if "reason" in q:
        w.reason = q["reason"].replace("_", " ")
    if "status" in q:
        w.write_header(int(q["status"]))
    w.write(q.get("body", "x").encode())


VARYING = [  # (query, HTTP minor) -> what the head must say
    ("v=1", 1), ("v=1", 1), ("v=2", 1), ("v=2&body=longer-body", 1), ("v=2&status=404", 1),
    ("v=2&status=404&reason=Gone_Fishing", 1), ("v=2", 0), ("v=2", 1), ("", 1), ("v=1", 1),
]


def _varying_requests() -> bytes:
    out = []
    for q, minor in VARYING:
        keep = b"Connection: keep-alive\r\n" if minor == 0 else b""
        out.append(b"GET /?%s HTTP/1.%d\r\nHost: x\r\n%s\r\n" % (q.encode(), minor, keep))
    out.append(b"GET /?v=9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    return b"".join(out)


def _complete(data: bytes) -> int:
    """How many whole Content-Length-framed responses ``data`` holds."""
    n = 0
    while b"\r\n\r\n" in data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
        if len(rest) < length:
            break
        data = rest[length:]
        n += 1
    return n


def _check_varying(data: bytes) -> None:
    heads = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines[1:])
        n = int(fields["Content-Length"])
        heads.append((lines[0], fields, rest[:n]))
        data = rest[n:]
    assert len(heads) == len(VARYING) + 1
    for (q, minor), (status_line, fields, body) in zip([*VARYING, ("v=9", 1)], heads, strict=True):
        want = dict(p.split("=", 1) for p in q.split("&") if "=" in p)
        code = want.get("status", "200")
        standard = {"200": "OK", "404": "Not Found"}[code]
        reason = want["reason"].replace("_", " ") if "reason" in want else standard
        assert status_line == f"HTTP/1.{minor} {code} {reason}"
        assert fields.get("X-V") == want.get("v")
        assert body == want.get("body", "x").encode()
        assert fields["Content-Length"] == str(len(body))
        assert fields["Content-Type"] == "text/plain"
        if minor == 0:
            assert fields["Connection"] == "keep-alive"
        elif q == "v=9":
            assert fields["Connection"] == "close"
        else:
            assert "Connection" not in fields


@pytest.mark.parametrize("pipelined", [False, True], ids=["keep-alive", "pipelined"])
def test_head_cache_follows_status_reason_headers_and_length(pipelined: bool) -> None:
    raw = _varying_requests()
    with ServerThread(_varying) as st, connect(st.address) as s:
        if pipelined:
            s.sendall(raw)
            data = read_to_eof(s)
        else:
            data = b""
            for req in raw.split(b"GET ")[1:]:
                s.sendall(b"GET " + req)
                want = _complete(data) + 1
                while _complete(data) < want:
                    chunk = s.recv(65536)
                    assert chunk, "server closed early"
                    data += chunk
            data += read_to_eof(s)
    _check_varying(data)


def test_head_cache_wsgi_follows_status_and_headers() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        q = environ["QUERY_STRING"]
        start_response("404 Not Found" if q == "nf" else "200 OK",
                       [("Content-Type", "text/plain"), ("X-Q", q)])
        return [q.encode() or b"-"]

    with ServerThread(WSGIHandler(app)) as st, connect(st.address) as s:
        queries = (b"a", b"a", b"b", b"nf", b"a")
        s.sendall(b"".join(b"GET /?%s HTTP/1.1\r\nHost: x\r\n\r\n" % q for q in queries)
                  + b"GET /?z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(s)
    heads = [h for h in data.split(b"HTTP/1.1 ")[1:]]
    assert len(heads) == 6
    codes = ["200 OK", "200 OK", "200 OK", "404 Not Found", "200 OK", "200 OK"]
    for part, q, code in zip(heads, ["a", "a", "b", "nf", "a", "z"], codes, strict=True):
        head, _, body = part.partition(b"\r\n\r\n")
        assert head.startswith(code.encode() + b"\r\n")
        assert b"\r\nX-Q: %s\r\n" % q.encode() in head + b"\r\n"
        assert body == q.encode()


# --- a handler that keeps its request or writer ------------------------------------------------


@pytest.mark.parametrize("pipelined", [False, True], ids=["keep-alive", "pipelined"])
def test_kept_request_and_writer_are_never_reused(pipelined: bool) -> None:
    kept: list[tuple[Request, ResponseWriter, Any, Any]] = []

    def handler(w: ResponseWriter, r: Request) -> None:
        if r.query.startswith("keep"):
            kept.append((r, w, r.headers, w.headers))  # as a global or a goroutine would
        w.headers["X-Path"] = r.path
        w.write(r.path.encode())

    reqs = [b"GET /one?keep1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n",
            b"GET /two HTTP/1.1\r\nHost: y\r\nX-B: 2\r\n\r\n",
            b"GET /three?keep3 HTTP/1.1\r\nHost: z\r\nX-C: 3\r\n\r\n",
            b"GET /four HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n"]
    with ServerThread(handler) as st, connect(st.address) as s:
        if pipelined:
            s.sendall(b"".join(reqs))
            data = read_to_eof(s)
        else:
            data = b""
            for i, raw in enumerate(reqs):
                s.sendall(raw)
                while _complete(data) <= i:
                    chunk = s.recv(65536)
                    assert chunk, "server closed early"
                    data += chunk
            data += read_to_eof(s)
    assert data.count(b"HTTP/1.1 200 OK") == 4
    (r1, w1, rh1, wh1), (r3, w3, rh3, wh3) = kept
    assert r1 is not r3 and w1 is not w3
    assert (r1.path, r1.query, r1.host) == ("/one", "keep1", "x")
    assert r1.headers.items() == [("Host", "x"), ("X-A", "1")]
    assert (r3.path, r3.query, r3.host) == ("/three", "keep3", "z")
    assert r3.headers.items() == [("Host", "z"), ("X-C", "3")]
    assert rh1 is r1.headers and rh3 is r3.headers
    assert w1.status == 200 and w1.written == 4 and w1.headers.get("X-Path") == "/one" and wh1 is w1.headers
    assert w3.status == 200 and w3.written == 6 and w3.headers.get("X-Path") == "/three" and wh3 is w3.headers
    assert w1.head_sent and w3.head_sent


def test_kept_headers_alone_are_never_reused() -> None:
    kept: list[Any] = []

    def handler(w: ResponseWriter, r: Request) -> None:
        kept.append((r.path, r.headers, w.headers))
        w.headers["X-Path"] = r.path
        w.write(b"ok")

    with ServerThread(handler) as st, connect(st.address) as s:
        s.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nX-B: 2\r\n\r\n"
                  b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(s)
    assert data.count(b"200 OK") == 3
    assert [(p, rh.items(), wh.items()) for p, rh, wh in kept] == [
        ("/a", [("Host", "x"), ("X-A", "1")], [("X-Path", "/a")]),
        ("/b", [("Host", "x"), ("X-B", "2")], [("X-Path", "/b")]),
        ("/c", [("Host", "x"), ("Connection", "close")], [("X-Path", "/c")])]


def test_wsgi_kept_environ_and_start_response_are_never_reused() -> None:
    kept: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        kept.append((dict(environ), environ, start_response))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    with ServerThread(WSGIHandler(app)) as st, connect(st.address) as s:
        s.sendall(b"GET /a?1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n"
                  b"GET /c HTTP/1.1\r\nHost: z\r\nConnection: close\r\n\r\n")
        data = read_to_eof(s)
    assert data.count(b"200 OK") == 3
    for snapshot, environ, _ in kept:
        assert environ == snapshot  # nothing of a later request written into an earlier environ
    assert [e["PATH_INFO"] for _, e, _ in kept] == ["/a", "/b", "/c"]
    assert "HTTP_X_A" in kept[0][1] and "HTTP_X_A" not in kept[1][1]
