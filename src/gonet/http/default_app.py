"""default_app: the page ``python -m gonet serve`` shows when no app is given.

A small WSGI app, so the command works on a fresh machine: ``/`` is an HTML
page saying gonet is serving, with live numbers (goroutines, connections,
requests, netpoller descriptors) read from ``gonet.stats()`` and the server's
counters on every request, and a link to the debug page
(:mod:`gonet.http.debugpage`, mounted at ``/debug/gonet/``). Every other path
is 404. ``?format=text`` gives the numbers as plain text (for curl).
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import gonet

from .debugpage import DEFAULT_PREFIX, DebugPage

__all__ = ["DefaultApp", "make_default_app"]

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:3em auto;max-width:42em;color:#222;"
    "line-height:1.45}code{background:#f3f3f3;padding:0 .25em}"
    "table{border-collapse:collapse}td{padding:.2em 1em .2em 0}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}"
)


def _conns(server: dict[str, Any]) -> str:
    """The server's connection count, whichever key its stats use for it."""
    for key in ("conns", "connections", "conns_active", "active"):
        v = server.get(key)
        if isinstance(v, int):
            if key == "conns" and isinstance(server.get("active"), int) \
                    and isinstance(server.get("idle"), int):
                return f"{v} ({server['active']} active, {server['idle']} idle)"
            return str(v)
        if isinstance(v, dict) and v:
            return " + ".join(f"{n} {k}" for k, n in v.items())
    return "—"


class DefaultApp:
    """DefaultApp is the built-in page: gonet is serving, with live numbers.

    ``server_stats`` (called per request, must not block) adds the server's
    counters; ``debug_prefix`` is where the page links to the debug page.
    """

    def __init__(self, *, server_stats: Callable[[], dict[str, Any]] | None = None,
                 debug_prefix: str = DEFAULT_PREFIX, bind: str = "") -> None:
        self.server_stats = server_stats
        self.debug_prefix = debug_prefix.rstrip("/")
        self.bind = bind
        self.started = time.monotonic()

    def numbers(self) -> list[tuple[str, str]]:
        """numbers is the page's (label, value) rows, read now."""
        st = gonet.stats()
        server = self.server_stats() if self.server_stats is not None else {}
        rows = [
            ("goroutines", str(st["goroutines"])),
            ("connections", _conns(server)),
        ]
        for key in ("requests", "requests_served", "served"):
            if key in server:
                rows.append(("requests served", str(server[key])))
                break
        rows += [
            ("netpoller descriptors", str(st["netpoll_fds"])),
            ("waiting goroutines", ", ".join(f"{n} {r}" for r, n in st["waiting"].items())
             or "none"),
            ("process", f"pid {os.getpid()}"),
            ("uptime", f"{time.monotonic() - self.started:.0f} s"),
            ("gonet", f"{gonet.__version__} ({gonet.BUILD} build)"),
        ]
        return rows

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        """__call__ serves ``/`` (HTML, or text with ``?format=text``); 404 elsewhere."""
        path = environ.get("PATH_INFO") or "/"
        if path != "/":
            body = b"404 page not found\n"
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"),
                                             ("Content-Length", str(len(body)))])
            return [body]
        if "format=text" in environ.get("QUERY_STRING", ""):
            text = "gonet is serving\n" + "".join(f"{k}: {v}\n" for k, v in self.numbers())
            return _ok(start_response, "text/plain", text.encode())
        return _ok(start_response, "text/html", self.render().encode())

    def render(self) -> str:
        """render is the page's HTML, with the numbers of this moment (all escaped)."""
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td class=\"n\">{html.escape(v)}</td></tr>"
                       for k, v in self.numbers())
        where = f" on <code>{html.escape(self.bind)}</code>" if self.bind else ""
        dbg = html.escape(self.debug_prefix) + "/"
        return (
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            "<title>gonet is serving</title>"
            f"<style>{_CSS}</style></head><body>"
            "<h1>gonet is serving</h1>"
            f"<p>This is gonet's built-in page{where}: <code>python -m gonet serve</code> "
            "shows it when no app is given. Serve your own WSGI app (Flask, Django, …) with "
            "<code>python -m gonet serve module:app</code>; each connection gets its own "
            "goroutine.</p>"
            f"<h2>Right now</h2><table id=\"numbers\">{rows}</table>"
            f"<p>Every goroutine and the runtime's counters: "
            f"<a id=\"debug\" href=\"{dbg}\">the debug page</a>.</p>"
            "</body></html>\n"
        )


def _ok(start_response: Callable[..., Any], ctype: str, body: bytes) -> list[bytes]:
    start_response("200 OK", [("Content-Type", f"{ctype}; charset=utf-8"),
                              ("Content-Length", str(len(body))),
                              ("Cache-Control", "no-store")])
    return [body]


def make_default_app(*, server_stats: Callable[[], dict[str, Any]] | None = None,
                     bind: str = "") -> DebugPage:
    """make_default_app returns the built-in page with the debug page mounted beside it."""
    page = DefaultApp(server_stats=server_stats, bind=bind)
    return DebugPage(page, server_stats=server_stats)
