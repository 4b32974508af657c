"""gonet.http serving ``GET /`` -> ``Hello, World!``, written as a user would.

``--api native``: a Go-style handler ``handler(w, r)`` (the fastest path);
``--api wsgi``: the same bytes through ``gonet.http.WSGIHandler`` and the WSGI
hello app (or ``--app flask``).  One goroutine per connection, one process,
the server's defaults (timeouts, limits); prints ``READY <port>``.
"""

from __future__ import annotations

import sys
from typing import Any

from _http_common import parse_args
from http_apps import BODY, load

import gonet
import gonet.http


def hello(w: Any, r: Any) -> None:
    """hello: the native handler; sets what the WSGI app sets, then writes the body."""
    h = w.headers
    h["Content-Type"] = "text/plain"
    h["Content-Length"] = "13"
    w.write(BODY)


def main(host: str, port: int, api: str, app_name: str) -> None:
    handler = hello if api == "native" else gonet.http.WSGIHandler(load(app_name))
    ln = gonet.listen("tcp", f"{host}:{port}")
    srv = gonet.http.Server(handler)
    print(f"READY {ln.addr.port}", flush=True)
    srv.serve(ln)


if __name__ == "__main__":
    args = parse_args("gonet.http hello world", sys.argv[1:], api=("native", "wsgi"))
    if args.api == "native" and args.app != "hello":
        raise SystemExit("--api native serves the hello handler only")
    gonet.run(main, args.host, args.port, args.api, args.app)  # run() raises RLIMIT_NOFILE
