"""Headless Chromium (Debian's ``chromium``) renders the built-in page and the debug page.

The test reads the DOM Chromium built (``--dump-dom``): the page's heading,
its live numbers and the link to the debug page; the debug page's counters
and its grouped goroutine table. A goroutine stack holding ``<script>`` is
shown as text, never run (the dumped DOM has no element made from it).
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest

from http_ops_support import need_binary, serve, write_app

# An app whose parked goroutines carry markup in their stack (the source line).
APP = '''
import gonet
from gonet.http.debugpage import DebugPage

_parked = []

def park():
    ch = gonet.Chan()
    _parked.append(ch)
    ch.recv()  # <script>document.title="owned"</script><b id="injected">x</b>

def app(environ, start_response):
    if environ["PATH_INFO"] == "/park":
        for _ in range(3):
            gonet.go(park)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]

application = DebugPage(app)
'''


def dump_dom(url: str, profile: Path) -> str:
    chromium = need_binary("chromium")
    r = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def text_of(dom: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", dom))


@pytest.mark.timeout(180)
def test_chromium_renders_the_builtin_page_and_the_debug_page(tmp_path: Path) -> None:
    with serve("--bind", "127.0.0.1:0", cwd=tmp_path) as srv:
        dom = dump_dom(srv.url + "/", tmp_path / "profile")
        assert "<title>gonet is serving</title>" in dom
        assert re.search(r"<h1>gonet is serving</h1>", dom)
        text = text_of(dom)
        m = re.search(r"goroutines\s+(\d+)", text)
        assert m and int(m[1]) >= 2, text
        assert re.search(r"connections\s+\d+", text), text
        assert re.search(r'<a id="debug" href="/debug/gonet/">', dom)
        dbg = dump_dom(srv.url + "/debug/gonet/", tmp_path / "profile")
        assert "<title>gonet debug</title>" in dbg
        t = text_of(dbg)
        assert re.search(r"goroutines: \d+ in \d+ groups", t), t
        # The serving process's main goroutine waits for a signal on a channel. (The
        # accept loop may be runnable: Chromium opens speculative connections.)
        assert re.search(r"netpoll_fds\s+\d+", t) and "chan receive" in t
        assert srv.stop() == 0


@pytest.mark.timeout(180)
def test_debug_page_shows_markup_in_stacks_as_text(tmp_path: Path) -> None:
    import requests

    write_app(tmp_path, "markupapp", APP)
    with serve("markupapp:application", "--bind", "127.0.0.1:0", cwd=tmp_path) as srv:
        assert requests.get(srv.url + "/park", timeout=10).text == "ok"
        dom = dump_dom(srv.url + "/debug/gonet/goroutines", tmp_path / "profile")
        assert '<b id="injected">' not in dom and "<script>document" not in dom
        assert "<title>goroutines</title>" in dom  # the script never ran
        t = text_of(dom)
        assert '<script>document.title="owned"</script>' in t  # shown, as text
        assert re.search(r"\b3\s+chan receive", t), t
        assert srv.stop() == 0
