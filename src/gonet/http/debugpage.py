"""debugpage: every goroutine and the runtime's counters over HTTP (Go's ``net/http/pprof``).

An opt-in WSGI middleware: :class:`DebugPage` answers the requests under its
prefix (default ``/debug/gonet``) and passes every other request to the
wrapped app. ``python -m gonet serve --debug-page`` mounts it; the built-in
default page always has it. Routes, after Go's ``/debug/pprof/``:

- ``/debug/gonet/`` — HTML: ``gonet.stats()``, the server's counters, and the
  goroutines grouped by wait reason and stack (the largest group first), so a
  server with 10,000 parked connections shows one row of 10,000, not 10,000
  stacks. ``?format=text`` gives the same as plain text.
- ``/debug/gonet/goroutines`` — the grouped goroutines as HTML; ``?debug=1``
  as plain text (Go's ``goroutine?debug=1``: ``N @ [reason]`` and the stack),
  ``?debug=2`` the full ``gonet.dump()`` text, one entry per goroutine (Go's
  ``goroutine?debug=2``).
- ``/debug/gonet/stats`` — ``gonet.stats()`` (and the server's) as JSON.

Everything shown is HTML-escaped (stacks hold source lines, and a request can
put anything in a URL). Only ``GET`` and ``HEAD`` are answered (405
otherwise). Like pprof it reveals the program's internals: mount it only
where the audience may see them (it is off unless asked for).

The groups come from parsing the ``gonet.dump()`` text (the public API, the
same view as ``SIGQUIT``): a block per goroutine, ``goroutine N [state]:``
then its stack.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import gonet

__all__ = ["DEFAULT_PREFIX", "DebugPage", "GoroutineGroup", "group_goroutines", "parse_dump"]

#: DEFAULT_PREFIX is where the debug page is mounted unless told otherwise.
DEFAULT_PREFIX = "/debug/gonet"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_HEADER = re.compile(r"^goroutine (\d+) \[([^\]]*)\]:\s*$")
_WAITED = re.compile(r"^(?P<n>[\d.]+) (?P<unit>seconds?|minutes?)$")


@dataclass
class GoroutineGroup:
    """GoroutineGroup is the goroutines that share one wait reason and one stack."""

    reason: str
    stack: str
    ids: list[int] = field(default_factory=list)
    longest_wait: float = 0.0

    @property
    def count(self) -> int:
        """count is how many goroutines are in the group."""
        return len(self.ids)


def _seconds(text: str) -> float:
    m = _WAITED.match(text.strip())
    if m is None:
        return 0.0
    n = float(m["n"])
    return n * 60.0 if m["unit"].startswith("minute") else n


def parse_dump(text: str) -> list[tuple[int, str, float, str]]:
    """parse_dump splits ``gonet.dump()`` text into ``(id, reason, waited_seconds, stack)``.

    ``reason`` is the state without its duration (``IO wait``, ``running``).
    """
    out: list[tuple[int, str, float, str]] = []
    gid = -1
    reason = ""
    waited = 0.0
    stack: list[str] = []
    for line in text.splitlines(keepends=True):
        m = _HEADER.match(line)
        if m is not None:
            if gid >= 0:
                out.append((gid, reason, waited, "".join(stack).strip("\n")))
            gid = int(m[1])
            state, _, dur = m[2].partition(", ")
            reason, waited, stack = state, _seconds(dur), []
        elif gid >= 0:
            stack.append(line)
    if gid >= 0:
        out.append((gid, reason, waited, "".join(stack).strip("\n")))
    return out


def group_goroutines(text: str | None = None) -> list[GoroutineGroup]:
    """group_goroutines groups this runtime's goroutines by wait reason and stack.

    ``text`` is a ``gonet.dump()`` output (default: dump now). Largest group
    first, then by reason. Must run inside a runtime when ``text`` is None.
    """
    if text is None:
        text = dump_text()
    groups: dict[tuple[str, str], GoroutineGroup] = {}
    for gid, reason, waited, stack in parse_dump(text):
        g = groups.get((reason, stack))
        if g is None:
            g = groups[(reason, stack)] = GoroutineGroup(reason, stack)
        g.ids.append(gid)
        g.longest_wait = max(g.longest_wait, waited)
    return sorted(groups.values(), key=lambda g: (-g.count, g.reason, g.ids[0]))


def dump_text() -> str:
    """dump_text is ``gonet.dump()`` written to a string."""
    buf = io.StringIO()
    gonet.dump(buf)
    return buf.getvalue()


def _fmt_wait(seconds: float) -> str:
    if seconds <= 0:
        return ""
    if seconds >= 60:
        return f"{int(seconds // 60)} min"
    return f"{seconds:.1f} s"


def _flat_stats(d: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for k, v in d.items():
        if isinstance(v, dict):
            if not v:
                rows.append((prefix + str(k), "—"))
            rows.extend(_flat_stats(v, f"{prefix}{k}."))
        else:
            rows.append((prefix + str(k), str(v)))
    return rows


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}pre{margin:0;font-size:.85em;white-space:pre-wrap}"
    "td.n{text-align:right}"
)


class DebugPage:
    """DebugPage is WSGI middleware serving the goroutine and stats pages under ``prefix``.

    ``app`` gets every request outside the prefix (``None``: those get 404).
    ``server_stats`` is called per request for extra counters (e.g. a
    ``gonet.http.Server``'s ``stats``); it must not block.
    """

    def __init__(self, app: WSGIApp | None = None, *, prefix: str = DEFAULT_PREFIX,
                 server_stats: Callable[[], dict[str, Any]] | None = None) -> None:
        if not prefix.startswith("/"):
            raise ValueError(f"DebugPage: prefix must start with '/', got {prefix!r}")
        self.app = app
        self.prefix = prefix.rstrip("/")
        self.server_stats = server_stats

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        """__call__ answers a debug route, or hands the request to the wrapped app."""
        path = environ.get("PATH_INFO", "") or "/"
        p = self.prefix
        if path != p and not path.startswith(p + "/"):
            if self.app is not None:
                return self.app(environ, start_response)
            return _reply(start_response, "404 Not Found", "text/plain", b"404 page not found\n")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _reply(start_response, "405 Method Not Allowed", "text/plain",
                          b"method not allowed\n", [("Allow", "GET, HEAD")])
        sub = path[len(p):]
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if sub == "":
            return _reply(start_response, "301 Moved Permanently", "text/plain",
                          b"see " + (p + "/").encode("latin-1", "replace") + b"\n",
                          [("Location", p + "/")])
        if sub == "/":
            if query.get("format", [""])[0] == "text":
                return _reply(start_response, "200 OK", "text/plain", self.index_text().encode())
            return _reply(start_response, "200 OK", "text/html", self.index_html().encode())
        if sub == "/goroutines":
            debug = query.get("debug", ["0"])[0]
            if debug == "2":
                return _reply(start_response, "200 OK", "text/plain", dump_text().encode())
            if debug == "1" or query.get("format", [""])[0] == "text":
                return _reply(start_response, "200 OK", "text/plain",
                              self.goroutines_text().encode())
            return _reply(start_response, "200 OK", "text/html",
                          self.page("goroutines", self._groups_html()).encode())
        if sub == "/stats":
            body = json.dumps(self.stats(), indent=2, sort_keys=True, default=str) + "\n"
            return _reply(start_response, "200 OK", "application/json", body.encode())
        return _reply(start_response, "404 Not Found", "text/plain", b"404 page not found\n")

    # --- content ---------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """stats is ``{"runtime": gonet.stats(), "server": ..., "process": ...}``."""
        out: dict[str, Any] = {"runtime": gonet.stats()}
        if self.server_stats is not None:
            out["server"] = self.server_stats()
        out["process"] = {"pid": os.getpid(), "gonet": gonet.__version__,
                          "build": gonet.BUILD}
        return out

    def goroutines_text(self) -> str:
        """goroutines_text is the grouped view as text (Go's ``goroutine?debug=1``)."""
        groups = group_goroutines()
        total = sum(g.count for g in groups)
        parts = [f"goroutine profile: total {total}\n"]
        for g in groups:
            wait = _fmt_wait(g.longest_wait)
            head = f"{g.count} @ [{g.reason}" + (f", longest {wait}" if wait else "") + "]"
            parts.append(f"\n{head}\n{g.stack}\n")
        return "".join(parts)

    def index_text(self) -> str:
        """index_text is the index page as plain text: the counters, then the goroutines."""
        lines = ["gonet debug page", ""]
        for section, d in self.stats().items():
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {v}" for k, v in _flat_stats(d))
            lines.append("")
        return "\n".join(lines) + "\n" + self.goroutines_text()

    def index_html(self) -> str:
        """index_html is the index page: counters, links, the grouped goroutines."""
        p = html.escape(self.prefix)
        parts = [f'<p>Views: <a href="{p}/goroutines?debug=1">goroutines (text)</a> · '
                 f'<a href="{p}/goroutines?debug=2">full dump</a> · '
                 f'<a href="{p}/stats">stats (JSON)</a> · '
                 f'<a href="{p}/?format=text">this page as text</a></p>']
        for section, d in self.stats().items():
            parts.append(f"<h2>{html.escape(section)}</h2>")
            parts.append(_table(("counter", "value"), _flat_stats(d)))
        parts.append(self._groups_html())
        return self.page("gonet debug", "".join(parts))

    def _groups_html(self) -> str:
        groups = group_goroutines()
        total = sum(g.count for g in groups)
        rows = [
            "<tr>"
            f'<td class="n">{g.count}</td><td>{html.escape(g.reason)}</td>'
            f"<td>{html.escape(_fmt_wait(g.longest_wait))}</td>"
            f"<td><pre>{html.escape(g.stack) or '(no stack)'}</pre></td></tr>"
            for g in groups
        ]
        return (f"<h2>goroutines: {total} in {len(groups)} groups</h2>"
                "<table><tr><th>count</th><th>wait reason</th><th>longest wait</th>"
                f"<th>stack</th></tr>{''.join(rows)}</table>")

    def page(self, title: str, body: str) -> str:
        """page wraps ``body`` (HTML) in a complete document titled ``title``."""
        t = html.escape(title)
        return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t}</title>"
                f"<style>{_CSS}</style></head><body><h1>{t}</h1>{body}</body></html>\n")


def _table(head: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                  for r in rows)
    return f"<table><tr>{th}</tr>{trs}</table>"


def _reply(start_response: Callable[..., Any], status: str, ctype: str, body: bytes,
           extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    if ctype.startswith("text/"):
        ctype += "; charset=utf-8"
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body))),
               ("Cache-Control", "no-store")]
    if extra:
        headers.extend(extra)
    start_response(status, headers)
    return [body]
