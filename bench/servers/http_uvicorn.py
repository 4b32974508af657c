"""uvicorn with httptools and uvloop serving a raw ASGI hello world (no framework).

The fastest uvicorn configuration for one core: ``http="httptools"`` (llhttp),
``loop="uvloop"``, no lifespan, no access log, backlog somaxconn, one process.
Prints ``READY <port>`` once its socket listens.
"""

from __future__ import annotations

import sys

import uvicorn
from _common import ready, somaxconn
from _http_common import listen_socket, parse_args
from http_apps import hello_asgi


def main(argv: list[str]) -> None:
    args = parse_args("uvicorn raw ASGI hello world", argv)
    sock = listen_socket(args.host, args.port)
    config = uvicorn.Config(hello_asgi, http="httptools", loop="uvloop", lifespan="off",
                            access_log=False, log_level="warning", backlog=somaxconn(),
                            timeout_keep_alive=60)
    server = uvicorn.Server(config)
    ready(sock.getsockname()[1])  # the listener queues connections until run() accepts
    server.run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
