"""gonet echo server, written against gonet's public API as a user would write it.

One goroutine per connection, plain blocking code; ``Listener.serve`` closes the
conn when the handler returns.  Per connection, gonet keeps the goroutine's
greenlet (with its saved stack slice), the Conn/pollDesc objects and the
socket; the handler's ``read`` buffer exists only while a read returns data.
"""

from __future__ import annotations

import sys

from _common import parse_args, ready

import gonet


def handler(conn: gonet.Conn) -> None:
    try:
        while True:
            data = conn.read(65536)
            if not data:
                return
            conn.write(data)
    except ConnectionError:  # the load generator may reset conns at the end
        return


def main(host: str, port: int) -> None:
    ln = gonet.listen("tcp", f"{host}:{port}")
    ready(ln.addr.port)
    ln.serve(handler)


if __name__ == "__main__":
    args = parse_args("gonet echo server", sys.argv[1:])
    gonet.run(main, args.host, args.port)  # run() raises RLIMIT_NOFILE to the hard limit
