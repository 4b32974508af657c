"""WSGI peers of gonet.http, each in one process on one core: bjoern, meinheld, waitress, gevent.

``--server NAME --app hello|flask``; listens on ``--host``/``--port`` (0: free), prints
``READY <port>`` and serves until killed.  The fairness settings (bench/README.md,
"HTTP peers") are applied here, each with the reason:

- bjoern: defaults (libev, keep-alive on); the listener's backlog is somaxconn.
- meinheld: keep-alive is OFF by default (every response closes the connection);
  ``set_keepalive(30)`` turns it on; backlog somaxconn.
- waitress: ``connection_limit`` 100 by default (it stops accepting past it) -> 10,000;
  ``asyncore_use_poll`` (its select() loop cannot watch fds above 1,024); ``threads``
  from ``--threads``: the suite keeps waitress's default, 4 (on one core, measured
  2026-12-01 at c=50: 4 threads 10.9k req/s, 1 thread 9.7-10.4k).
- gevent.pywsgi: ``TCP_NODELAY`` on every accepted socket: pywsgi writes the headers
  and the body in two ``send`` calls, and Nagle plus delayed ACK otherwise stalls
  each response ~40 ms; no access log.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from _common import ready, somaxconn
from _http_common import listen_socket, parse_args
from http_apps import load


def run_bjoern(sock: socket.socket, app: Any, _threads: int) -> None:
    import bjoern

    sock.setblocking(False)
    ready(sock.getsockname()[1])
    bjoern.server_run(sock, app)


def run_meinheld(sock: socket.socket, app: Any, _threads: int) -> None:
    from meinheld import server

    server.set_keepalive(30)  # off (0) by default: fairness, see the module docstring
    server.set_backlog(somaxconn())
    server.set_listen_socket(sock.fileno())  # it takes the fd; `sock` stays open here
    ready(sock.getsockname()[1])
    server.run(app)


def run_waitress(sock: socket.socket, app: Any, threads: int) -> None:
    import waitress

    ready(sock.getsockname()[1])
    waitress.serve(app, sockets=[sock], threads=threads, connection_limit=10_000,
                   backlog=somaxconn(), asyncore_use_poll=True, channel_timeout=120,
                   ident="waitress", _quiet=True)


def run_gevent(sock: socket.socket, app: Any, _threads: int) -> None:
    from gevent import pywsgi

    class NoDelayHandler(pywsgi.WSGIHandler):  # type: ignore[misc]
        def handle(self) -> None:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle()

    server = pywsgi.WSGIServer(sock, app, log=None, handler_class=NoDelayHandler)
    server.init_socket()
    ready(sock.getsockname()[1])
    server.serve_forever()


RUNNERS = {"bjoern": run_bjoern, "meinheld": run_meinheld, "waitress": run_waitress,
           "gevent": run_gevent}


def main(argv: list[str]) -> None:
    threads = 4
    if "--threads" in argv:
        i = argv.index("--threads")
        threads = int(argv[i + 1])
        del argv[i : i + 2]
    args = parse_args("WSGI peer servers", argv, server=tuple(RUNNERS))
    app = load(args.app)
    if args.server == "gevent":  # gevent wants its own socket type; it wraps ours
        from gevent import socket as gsocket

        raw = listen_socket(args.host, args.port)
        sock: Any = gsocket.socket(fileno=raw.detach())
    else:
        sock = listen_socket(args.host, args.port)
    RUNNERS[args.server](sock, app, threads)


if __name__ == "__main__":
    main(sys.argv[1:])
