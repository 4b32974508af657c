"""gevent TLS echo server: StreamServer with a gevent.ssl.SSLContext, a greenlet per conn.

A plain ``ssl.SSLContext`` would hand out stdlib ``SSLSocket`` s whose handshake blocks
the whole process; gevent's own context class makes them cooperative.

    tls_gevent_server.py [--host H] [--port P] [--certfile F --keyfile K]
"""

from __future__ import annotations

import argparse
import socket
import sys

from _common import raise_nofile, ready, somaxconn
from gevent import ssl as gevent_ssl
from gevent.server import StreamServer
from tls_common import add_tls_args, server_context


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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    add_tls_args(parser)
    args = parser.parse_args(argv)
    raise_nofile()
    server = StreamServer((args.host, args.port), handle, backlog=somaxconn(),
                          ssl_context=server_context(args, gevent_ssl.SSLContext))
    server.start()
    ready(server.server_port)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
