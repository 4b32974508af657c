"""The built-in page and the debug page as WSGI apps, called in a runtime (no sockets).

Every response passes ``wsgiref.validate``; goroutines are grouped by wait
reason and stack (1,000 parked receivers are one group); everything shown
is HTML-escaped; the text views; the access-log line format.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

import gonet
from gonet.http.accesslog import format_combined
from gonet.http.debugpage import DebugPage, group_goroutines, parse_dump
from gonet.http.default_app import make_default_app
from gonet.testing import gotest, wait_all_blocked


def call(app: Callable[..., Iterable[bytes]], path: str, query: str = "",
         method: str = "GET") -> tuple[str, dict[str, str], str]:
    env: dict[str, Any] = {}
    setup_testing_defaults(env)
    env.update(PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=method)
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        got["status"], got["headers"] = status, dict(headers)

    it = validator(app)(env, start_response)
    try:
        body = b"".join(it)
    finally:
        it.close()  # type: ignore[attr-defined]
    return got["status"], got["headers"], body.decode()


def park_receivers(n: int) -> gonet.Chan[None]:
    ch: gonet.Chan[None] = gonet.Chan()

    def waiter() -> None:
        try:
            ch.recv()  # <script>alert("stack")</script>
        except gonet.ChanClosedError:
            pass

    for _ in range(n):
        gonet.go(waiter)
    wait_all_blocked()
    return ch


@gotest
def test_default_page_shows_live_numbers_and_links_the_debug_page() -> None:
    ch = park_receivers(7)
    app = make_default_app(server_stats=lambda: {"conns": 3, "active": 1, "idle": 2,
                                                 "requests": 41})
    status, headers, body = call(app, "/")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/html")
    assert "<h1>gonet is serving</h1>" in body
    assert re.search(r"<td>goroutines</td><td class=\"n\">8</td>", body), body
    assert '<td>connections</td><td class="n">3 (1 active, 2 idle)</td>' in body
    assert '<td>requests served</td><td class="n">41</td>' in body
    assert "7 chan receive" in body
    assert 'href="/debug/gonet/"' in body
    status, _, text = call(app, "/", "format=text")
    assert text.startswith("gonet is serving\n") and "goroutines: 8\n" in text
    # The link works: the debug page is mounted beside the page.
    assert call(app, "/debug/gonet/")[0] == "200 OK"
    assert call(app, "/favicon.ico")[0] == "404 Not Found"
    ch.close()


@gotest
def test_goroutines_are_grouped_by_reason_and_stack() -> None:
    ch = park_receivers(1000)
    groups = group_goroutines()
    top = groups[0]
    assert (top.count, top.reason) == (1000, "chan receive")
    assert "ch.recv()" in top.stack
    assert sum(g.count for g in groups) == gonet.stats()["goroutines"]
    _, headers, text = call(DebugPage(), "/debug/gonet/goroutines", "debug=1")
    assert headers["Content-Type"].startswith("text/plain")
    assert text.startswith(f"goroutine profile: total {gonet.stats()['goroutines']}\n")
    assert "\n1000 @ [chan receive" in text
    # debug=2: the full dump, one entry per goroutine.
    _, _, full = call(DebugPage(), "/debug/gonet/goroutines", "debug=2")
    assert len(re.findall(r"^goroutine \d+ \[chan receive", full, re.M)) == 1000
    ch.close()


@gotest
def test_html_views_escape_everything() -> None:
    ch = park_receivers(2)
    page = DebugPage()
    for path in ("/debug/gonet/", "/debug/gonet/goroutines"):
        status, _, body = call(page, path)
        assert status == "200 OK"
        assert "<script>" not in body
        assert html.escape('<script>alert("stack")</script>') in body
        assert "<td class=\"n\">2</td><td>chan receive</td>" in body
    ch.close()


@gotest
def test_text_json_and_other_routes() -> None:
    page = DebugPage(server_stats=lambda: {"conns": {"active": 1, "idle": 2}})
    status, headers, text = call(page, "/debug/gonet/", "format=text")
    assert headers["Content-Type"].startswith("text/plain")
    assert "[runtime]\ngoroutines = 1\n" in text and "conns.idle = 2" in text
    _, headers, body = call(page, "/debug/gonet/stats")
    data = json.loads(body)
    assert data["runtime"]["goroutines"] == 1 and data["server"]["conns"]["active"] == 1
    assert call(page, "/debug/gonet")[0].startswith("301")
    assert call(page, "/debug/gonet/nope")[0] == "404 Not Found"
    assert call(page, "/other")[0] == "404 Not Found"  # no app wrapped
    status, headers, _ = call(page, "/debug/gonet/", method="POST")
    assert status.startswith("405") and headers["Allow"] == "GET, HEAD"


@gotest
def test_middleware_passes_other_paths_to_the_app() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"the app: " + environ["PATH_INFO"].encode()]

    page = DebugPage(app, prefix="/_dbg/")
    assert call(page, "/x")[2] == "the app: /x"
    assert call(page, "/debug/gonet/")[2] == "the app: /debug/gonet/"
    assert "goroutine profile" in call(page, "/_dbg/goroutines", "debug=1")[2]
    with pytest.raises(ValueError):
        DebugPage(app, prefix="dbg")


def test_parse_dump() -> None:
    text = ("goroutine 1 [running]:\n  File \"a.py\", line 1, in f\n    f()\n\n"
            "goroutine 7 [IO wait, 2.5 seconds]:\n  File \"b.py\", line 2, in g\n    g()\n\n"
            "goroutine 9 [IO wait, 3 minutes]:\n  File \"b.py\", line 2, in g\n    g()\n")
    parsed = parse_dump(text)
    assert [(p[0], p[1], p[2]) for p in parsed] == [(1, "running", 0.0), (7, "IO wait", 2.5),
                                                     (9, "IO wait", 180.0)]
    groups = group_goroutines(text)
    assert [(g.count, g.reason, g.longest_wait) for g in groups] == [(2, "IO wait", 180.0),
                                                                      (1, "running", 0.0)]


def test_combined_log_format() -> None:
    rec = {"remote": "127.0.0.1:5555", "method": "GET", "target": '/a?q="x"', "proto": "HTTP/1.1",
           "status": 200, "bytes": 13, "duration": 0.0, "user_agent": "curl/8\x07",
           "referer": None}
    line = format_combined(rec, now=0.0)
    assert re.fullmatch(
        r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
        r'"GET /a\?q=\\x22x\\x22 HTTP/1\.1" 200 13 "-" "curl/8\\x07"', line), line
    assert format_combined({"remote": "[::1]:80", "status": 404, "bytes": 0}).startswith("::1 - - [")
