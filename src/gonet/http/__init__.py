"""gonet.http: an HTTP/1.1 server with a goroutine per connection, as Go's ``net/http``.

Native handlers have Go's shape, ``handler(w, r)``::

    import gonet, gonet.http

    def hello(w, r):
        w.headers["Content-Type"] = "text/plain"
        w.write(b"Hello, world!")

    def main():
        gonet.http.Server(hello).listen_and_serve("127.0.0.1:8000")

    gonet.run(main)

and WSGI applications run through :class:`WSGIHandler` (``run_wsgi(app,
":8000")``). The package uses gonet's public API only. See ``docs/http.md``.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from ._h1 import ProtocolError
from .request import Body, Headers, Request
from .response import BodyNotAllowedError, ContentLengthError, ResponseWriter
from .server import Handler, Server
from .status import STATUS_TEXT, status_text
from .wsgi import FileWrapper, WSGIError, WSGIHandler, run_wsgi, serve_wsgi

__all__ = [
    "STATUS_TEXT",
    "Body",
    "BodyNotAllowedError",
    "ContentLengthError",
    "FileWrapper",
    "Handler",
    "Headers",
    "ProtocolError",
    "Request",
    "ResponseWriter",
    "Server",
    "WSGIError",
    "WSGIHandler",
    "run_wsgi",
    "serve_wsgi",
    "status_text",
]

#: Names served from http-ops' modules, imported on first use (the pages cost nothing
#: until asked for): the pprof-like debug middleware and the built-in page.
_LAZY = {"DebugPage": "debugpage", "make_default_app": "default_app"}
__all__ += [name for name, mod in _LAZY.items()
            if os.path.exists(os.path.join(os.path.dirname(__file__), mod + ".py"))]


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'gonet.http' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), name)
