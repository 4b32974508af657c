"""socketify (uWebSockets in C++ through cffi) serving the WSGI hello world.

socketify's ``WSGI`` front end, one process (``run()`` without workers): the
WSGI row, like the others.  socketify will not take a socket, so the port is
chosen first (``--port 0``: one the kernel just handed out); ``READY <port>`` is
printed from its listen callback, once it listens.
"""

from __future__ import annotations

import sys
from typing import Any

from _common import raise_nofile, ready
from _http_common import free_port, parse_args
from http_apps import load
from socketify import WSGI, AppListenOptions


def main(argv: list[str]) -> None:
    args = parse_args("socketify WSGI", argv)
    raise_nofile()
    port = args.port or free_port(args.host)
    app = WSGI(load(args.app))

    def on_listen(_config: Any) -> None:
        ready(port)

    app.listen(AppListenOptions(port=port, host=args.host), on_listen)
    app.run()


if __name__ == "__main__":
    main(sys.argv[1:])
