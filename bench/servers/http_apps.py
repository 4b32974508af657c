"""The applications every HTTP peer serves: ``GET /`` -> 200, 13-byte ``Hello, World!``.

``hello`` is the plain WSGI app (what bjoern, meinheld, waitress, gevent.pywsgi,
granian, gunicorn and gonet's WSGI adapter run), ``hello_asgi`` the raw ASGI app
uvicorn runs, and ``flask_app()`` the minimal Flask app of the Flask row (imported
lazily: the hello servers must not pay for importing Flask).  Every response is
``Content-Type: text/plain`` with an explicit ``Content-Length: 13`` and keep-alive,
so no server has to chunk or close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b"Hello, World!"
HEADERS = (("Content-Type", "text/plain"), ("Content-Length", str(len(BODY))))


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """hello is the WSGI hello world: one list item, so servers can send it in one write."""
    start_response("200 OK", list(HEADERS))  # a fresh list: some servers append to it
    return [BODY]


_ASGI_START = {"type": "http.response.start", "status": 200,
               "headers": [(b"content-type", b"text/plain"), (b"content-length", b"13")]}
_ASGI_BODY = {"type": "http.response.body", "body": BODY}


async def hello_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """hello_asgi is the raw ASGI hello world (no framework), as uvicorn's own benchmarks use."""
    if scope["type"] != "http":
        return
    await send(_ASGI_START)
    await send(_ASGI_BODY)


def flask_app() -> Any:
    """flask_app builds the minimal Flask app of the Flask row: one route, a 13-byte text body."""
    from flask import Flask, Response

    app = Flask("bench")

    @app.get("/")
    def index() -> Response:
        return Response(BODY, mimetype="text/plain")

    return app


def load(name: str) -> Any:
    """load returns the WSGI app named on a server's command line: ``hello`` or ``flask``."""
    if name == "hello":
        return hello
    if name == "flask":
        return flask_app()
    raise SystemExit(f"unknown app {name!r} (hello or flask)")


# For servers that import an app by "module:attribute" (granian, gunicorn): the Flask app
# is built on first attribute access, so importing this module for ``hello`` stays cheap.
def __getattr__(name: str) -> Any:
    if name == "flask":
        app = flask_app()
        globals()["flask"] = app
        return app
    raise AttributeError(name)
