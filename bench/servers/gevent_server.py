"""gevent echo server: gevent.server.StreamServer, one greenlet per connection."""

from __future__ import annotations

import socket
import sys

from _common import parse_args, raise_nofile, ready, somaxconn
from gevent.server import StreamServer


def handle(sock: socket.socket, _addr: object) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    recv, sendall = sock.recv, sock.sendall
    try:
        while True:
            data = recv(65536)
            if not data:
                return
            sendall(data)
    except OSError:
        return


def main(argv: list[str]) -> None:
    args = parse_args("gevent StreamServer echo server", argv)
    raise_nofile()
    server = StreamServer((args.host, args.port), handle, backlog=somaxconn())
    server.start()
    ready(server.server_port)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
