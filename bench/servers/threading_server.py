"""Thread-per-connection echo server: socketserver.ThreadingTCPServer."""

from __future__ import annotations

import socket
import socketserver
import sys

from _common import parse_args, raise_nofile, ready, somaxconn


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return
                sock.sendall(data)
        except OSError:
            return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = somaxconn()


def main(argv: list[str]) -> None:
    args = parse_args("socketserver.ThreadingTCPServer echo server", argv)
    raise_nofile()
    with Server((args.host, args.port), EchoHandler) as server:
        ready(server.server_address[1])
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
