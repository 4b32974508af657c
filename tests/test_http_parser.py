"""The sans-IO HTTP/1.1 layer alone: request heads, chunked bodies, response heads — no sockets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gonet.http import Headers
from gonet.http._h1 import (
    LAST_CHUNK,
    ChunkedDecoder,
    DateCache,
    ProtocolError,
    check_header,
    encode_chunk,
    parse_head,
    response_head,
)
from httputil import CHUNKED, HOSTILE, HOSTILE_BODY


def parse_all(raw: bytes, **limits: int) -> tuple[object, int]:
    r = parse_head(raw, **limits)
    assert r is not None, "head should be complete"
    return r


def decode_chunked(body: bytes, step: int | None = None, max_trailer: int = 65536) -> bytes:
    dec = ChunkedDecoder(max_trailer)
    out = []
    pending = b""
    pieces = [body] if step is None else [body[i:i + step] for i in range(0, len(body), step)]
    for piece in pieces:
        pending += piece
        data, used = dec.feed(pending)
        out.append(data)
        pending = pending[used:]
        if dec.done:
            break
    assert dec.done
    return b"".join(out)


@pytest.mark.parametrize(("name", "raw", "status"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_head(name: str, raw: bytes, status: int) -> None:
    if status == 413:
        head, _ = parse_all(raw)  # the parser reads the length; the server applies the limit
        assert head.content_length == 2000  # type: ignore[attr-defined]
        return
    with pytest.raises(ProtocolError) as ei:
        parse_head(raw)
    assert ei.value.status == status, ei.value


@pytest.mark.parametrize(("name", "raw", "status"), HOSTILE_BODY, ids=[c[0] for c in HOSTILE_BODY])
def test_hostile_chunked_body(name: str, raw: bytes, status: int) -> None:
    head, used = parse_all(raw)
    assert head.chunked  # type: ignore[attr-defined]
    body = raw[used:]
    if status == 413:
        assert len(decode_chunked(body)) == 5 * 256  # the limit is the server's, the coding is fine
        return
    with pytest.raises(ProtocolError) as ei:
        decode_chunked(body)
    assert ei.value.status == status


def test_incomplete_heads_wait_for_more() -> None:
    full = b"GET /a?b=1 HTTP/1.1\r\nHost: example\r\nX-A:  spaced value \t\r\n\r\n"
    for i in range(len(full)):
        assert parse_head(full[:i]) is None, i
    head, used = parse_all(full)
    assert used == len(full)
    assert head.method == "GET" and head.target == "/a?b=1"  # type: ignore[attr-defined]
    assert head.headers == [("Host", "example"), ("X-A", "spaced value")]  # type: ignore[attr-defined]
    assert head.index == {"host": "example", "x-a": "spaced value"}  # type: ignore[attr-defined]


def test_over_long_line_refused_before_its_end() -> None:
    with pytest.raises(ProtocolError) as ei:
        parse_head(b"GET /" + b"a" * 9000)
    assert ei.value.status == 414
    with pytest.raises(ProtocolError) as ei:
        parse_head(b"GET / HTTP/1.1\r\nX: " + b"a" * 70000)
    assert ei.value.status == 431
    with pytest.raises(ProtocolError) as ei:
        parse_head(b"GET / HTTP/1.1\nHost")  # bare LF is refused at once, not after a timeout
    assert ei.value.status == 400


def test_limits_are_configurable() -> None:
    raw = b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n"
    parse_all(raw)
    with pytest.raises(ProtocolError) as ei:
        parse_head(raw, max_request_line=50)
    assert ei.value.status == 414
    with pytest.raises(ProtocolError) as ei:
        parse_head(raw, max_header_fields=2)
    assert ei.value.status == 431
    with pytest.raises(ProtocolError) as ei:
        parse_head(raw, max_header_bytes=10)
    assert ei.value.status == 431


def test_pipelined_heads_are_consumed_one_at_a_time() -> None:
    one = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
    two = b"GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
    head, used = parse_all(one + two + b"GET /3")
    assert head.target == "/1" and used == len(one)  # type: ignore[attr-defined]
    head, used2 = parse_all((one + two)[used:])
    assert head.target == "/2" and used2 == len(two)  # type: ignore[attr-defined]


def test_leading_empty_lines_are_ignored() -> None:
    head, used = parse_all(b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.target == "/" and used == 4 + 27  # type: ignore[attr-defined]


@pytest.mark.parametrize(("raw", "keep_alive"), [
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
    (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Close\r\n\r\n", False),
    (b"GET / HTTP/1.0\r\n\r\n", False),
    (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", True),
    (b"GET / HTTP/1.5\r\nHost: x\r\n\r\n", True),
    (b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n", False),
])
def test_keep_alive(raw: bytes, keep_alive: bool) -> None:
    head, _ = parse_all(raw)
    assert head.keep_alive is keep_alive  # type: ignore[attr-defined]


def test_framing() -> None:
    head, _ = parse_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n")
    assert head.content_length == 12 and not head.chunked  # type: ignore[attr-defined]
    head, _ = parse_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n")
    assert head.content_length == 3  # type: ignore[attr-defined]
    head, _ = parse_all(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n")
    assert head.chunked and head.content_length is None  # type: ignore[attr-defined]
    head, _ = parse_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.content_length == 0  # type: ignore[attr-defined]
    head, _ = parse_all(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
    assert head.expect_continue  # type: ignore[attr-defined]


def test_repeated_fields_are_joined_in_the_index() -> None:
    head, _ = parse_all(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: a\r\naccept: b\r\nCookie: c=1\r\n"
                        b"Cookie: d=2\r\n\r\n")
    assert head.index["accept"] == "a, b"  # type: ignore[attr-defined]
    assert head.index["cookie"] == "c=1; d=2"  # type: ignore[attr-defined]
    h = Headers._trusted(head.headers, head.index)  # type: ignore[attr-defined]
    assert h.get_all("ACCEPT") == ["a", "b"]
    assert h["Accept"] == "a, b" and "cookie" in h and "nope" not in h


def test_obs_text_is_allowed_in_values() -> None:
    head, _ = parse_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xe9\r\n\r\n")
    assert head.index["x-a"] == "caf\xe9"  # type: ignore[attr-defined]


def test_chunked_decoding_in_any_pieces() -> None:
    body = b"5\r\nhello\r\n6;name=value;q=\"a b\"\r\n world\r\n0\r\nX-T: 1\r\n\r\n"
    for step in (None, 1, 2, 3, 7):
        assert decode_chunked(body, step) == b"hello world"


def test_chunked_decoder_stops_at_the_end() -> None:
    dec = ChunkedDecoder()
    data, used = dec.feed(b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n")
    assert data == b"abc" and dec.done and used == 13


def test_chunked_limit_on_output() -> None:
    dec = ChunkedDecoder()
    data, used = dec.feed(b"a\r\n0123456789\r\n0\r\n\r\n", 4)
    assert data == b"0123" and used == 7
    assert CHUNKED.endswith(b"chunked\r\n\r\n")


def test_chunked_trailer_limit() -> None:
    with pytest.raises(ProtocolError) as ei:
        decode_chunked(b"0\r\nX-A: " + b"a" * 200 + b"\r\n\r\n", max_trailer=100)
    assert ei.value.status == 431


def test_chunk_encoding() -> None:
    assert encode_chunk(b"hello") == b"5\r\nhello\r\n"
    assert LAST_CHUNK == b"0\r\n\r\n"
    assert decode_chunked(encode_chunk(b"x" * 300) + LAST_CHUNK) == b"x" * 300


def test_response_head() -> None:
    head = response_head(1, 404, [("Content-Type", "text/plain")], "Content-Length: 0\r\n")
    assert head == b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n"
    assert response_head(0, 299, [], "").startswith(b"HTTP/1.0 299 \r\n")
    assert response_head(1, 200, [], "", "Fine").startswith(b"HTTP/1.1 200 Fine\r\n")
    with pytest.raises(ValueError):
        response_head(1, 1000, [], "")


@pytest.mark.parametrize(("name", "value"), [
    ("X-A", "a\r\nInjected: 1"), ("X-A", "a\nb"), ("X-A", "a\x00"), ("Bad Name", "v"), ("", "v"),
    ("X-A", "\u20ac"),
])
def test_header_checks_refuse_response_splitting(name: str, value: str) -> None:
    with pytest.raises(ValueError):
        check_header(name, value)
    with pytest.raises(ValueError):
        Headers().add(name, value)


def test_headers_multidict() -> None:
    h = Headers([("Set-Cookie", "a=1"), ("X-A", "1")])
    h.add("set-cookie", "b=2")
    assert h.get_all("Set-Cookie") == ["a=1", "b=2"]
    h["x-a"] = "2"
    assert h.items() == [("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("x-a", "2")]
    del h["SET-COOKIE"]
    assert list(h) == ["x-a"] and len(h) == 1
    with pytest.raises(KeyError):
        del h["nope"]
    assert h.pop("X-A") == "2" and h.get("x-a", "gone") == "gone"


def test_date_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from gonet.http._h1 import serialize

    now = [1_800_000_000.2]
    monkeypatch.setattr(serialize.time, "time", lambda: now[0])
    d = DateCache()
    line = d.get()
    assert line == "Date: Fri, 15 Jan 2027 08:00:00 GMT\r\n"
    now[0] += 0.5
    assert d.get() is line  # formatted once per second
    now[0] += 1
    assert d.get() == "Date: Fri, 15 Jan 2027 08:00:01 GMT\r\n"


# --- fuzzing: any input gives a head, "need more", or a ProtocolError — nothing else ---------

_PIECES = [b"GET", b"POST", b" ", b"/", b"?", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"\r\n", b"\n", b"\r",
           b":", b"Host", b"Content-Length", b"Transfer-Encoding", b"chunked", b"5", b"-1", b"\t", b"\x00",
           b"a", b"\xff", b",", b"Expect", b"100-continue", b"Connection", b"close"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_parser_fuzz(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    try:
        r = parse_head(raw)
    except ProtocolError as e:
        assert e.status in (400, 413, 414, 417, 431, 501, 505)
        return
    if r is not None:
        head, used = r
        assert 0 < used <= len(raw)
        assert head.content_length is None or head.content_length >= 0  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=1, max_value=50))
def test_chunked_decoder_fuzz(data: bytes, step: int) -> None:
    dec = ChunkedDecoder(1000)
    pending = b""
    try:
        for i in range(0, len(data), step):
            pending += data[i:i + step]
            _, used = dec.feed(pending)
            assert 0 <= used <= len(pending)
            pending = pending[used:]
            if dec.done:
                break
    except ProtocolError as e:
        assert e.status in (400, 431)
