"""gonet TLS echo server: gonet.tls over the public API, one goroutine per connection.

    tls_gonet_server.py [--host H] [--port P] [--certfile F --keyfile K]
"""

from __future__ import annotations

import argparse
import sys

from _common import ready
from tls_common import add_tls_args, server_context

import gonet
import gonet.tls


def handler(conn: gonet.tls.TLSConn) -> None:
    try:
        while True:
            data = conn.read(65536)
            if not data:
                return
            conn.write(data)
    except OSError:  # ssl.SSLError included: the load generator hangs up without close_notify
        return


def main(host: str, port: int, args: argparse.Namespace) -> None:
    ln = gonet.tls.listen("tcp", f"{host}:{port}", server_context(args))
    ready(ln.addr.port)
    ln.serve(handler)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    add_tls_args(parser)
    a = parser.parse_args(sys.argv[1:])
    gonet.run(main, a.host, a.port, a)
