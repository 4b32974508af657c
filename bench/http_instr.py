"""http_instr: deterministic per-request cost of gonet.http (callgrind instruction counts).

Run: ``.venv/bin/python bench/http_instr.py [native|wsgi|raw] [N]`` prints
wall µs/request; under callgrind it counts instructions::

    for n in 2000 4000; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$n \\
        .venv/bin/python bench/http_instr.py native $n; done
    # per request = (Ir(4000) - Ir(2000)) / 2000 (start-up and warm-up cancel out)

One process: a gonet.http server and one gonet client goroutine sending
``N`` keep-alive ``GET /`` requests one at a time (wrk's request, a 13-byte
body answer). ``raw`` is a plain gonet socket server writing a fixed
response per read: subtracting it leaves what the HTTP layer costs (the
client's share and the socket round trip cancel out).
"""

from __future__ import annotations

import sys
import time

sys.path.insert(0, "src")

import gonet
from gonet.http import Server
from gonet.http.wsgi import WSGIHandler

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
BODY = b"Hello, World!"


def native(w, r):  # type: ignore[no-untyped-def]
    w.headers["Content-Type"] = "text/plain"
    w.write(BODY)


def app(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
    return [BODY]


RAW_RESPONSE = (b"HTTP/1.1 200 OK\r\nDate: Tue, 01 Dec 2026 23:40:00 GMT\r\nServer: gonet\r\n"
                b"Content-Type: text/plain\r\nContent-Length: 13\r\n\r\n" + BODY)


def raw_conn(c: gonet.Conn) -> None:
    while True:
        data = c.read(65536)
        if not data:
            break
        c.write(RAW_RESPONSE)
    c.close()


def main(kind: str, n: int) -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    srv = None
    if kind == "raw":
        def accept() -> None:
            while True:
                try:
                    c = ln.accept()
                except OSError:
                    return
                gonet.go(raw_conn, c)
        gonet.go(accept)
    else:
        srv = Server(native if kind == "native" else WSGIHandler(app))
        gonet.go(srv.serve, ln)
    c = gonet.dial("tcp", ln.addr.host + ":" + str(ln.addr.port))
    total = 0
    t0 = time.perf_counter()
    for _ in range(n):
        c.write(REQUEST)
        got = b""
        while True:
            got += c.read(65536)
            if got.endswith(BODY):
                break
        total += len(got)
    dt = time.perf_counter() - t0
    c.close()
    if srv is not None:
        srv.close()
    else:
        ln.close()
    print(f"{kind}: {n} requests, {dt / n * 1e6:.2f} µs/request, {total // n} bytes/response")


if __name__ == "__main__":
    gonet.run(main, sys.argv[1] if len(sys.argv) > 1 else "native",
              int(sys.argv[2]) if len(sys.argv) > 2 else 20000)
