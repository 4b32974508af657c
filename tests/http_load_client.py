"""A gonet HTTP load client for the gonet.http load tests, run as a subprocess (its own descriptors).

Usage: ``python http_load_client.py MODE ADDRESS N``, MODE one of

* ``longpoll``: N connections are dialed first; then N ``GET /poll``
  requests go out at once; prints JSON ``{"ok": count, "elapsed": seconds
  from sending the requests to the last response, "dial_time": seconds to
  open the N connections}``.
* ``stream``: N concurrent ``GET /stream`` reading a chunked response to its
  end; prints ``{"ok": count, "events": total, "elapsed": s}``; prints
  ``streaming`` once every stream has started and waits for a line on stdin
  before reading the streams to their end (so the parent can measure memory).
* ``idle``: N keep-alive connections, one request each, then held open;
  prints ``ready N`` and waits for a line on stdin before closing them.

Dials are limited to 256 in flight so the listen backlog never overflows
(an overflow costs a 1 s SYN retry and would measure the kernel, not the server).
"""

from __future__ import annotations

import json
import sys
import time

import gonet

DIAL_CONCURRENCY = 256


def read_response(c: gonet.Conn, buf: bytes) -> tuple[bytes, bytes]:
    """Read one response (Content-Length or chunked); returns (body, rest)."""
    while b"\r\n\r\n" not in buf:
        data = c.read()
        if not data:
            raise EOFError("closed before the head")
        buf += data
    head, buf = buf.split(b"\r\n\r\n", 1)
    if b"Transfer-Encoding: chunked" in head:
        while not buf.endswith(b"0\r\n\r\n"):
            data = c.read()
            if not data:
                raise EOFError("closed inside a chunked body")
            buf += data
        return buf, b""
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(buf) < length:
        data = c.read()
        if not data:
            raise EOFError("closed inside the body")
        buf += data
    return buf[:length], buf[length:]


def main(mode: str, address: str, n: int) -> None:
    dial_slots: gonet.Chan[None] = gonet.Chan(DIAL_CONCURRENCY)
    done: gonet.Chan[int] = gonet.Chan(n)
    started: gonet.Chan[None] = gonet.Chan(n)
    dialed: gonet.Chan[None] = gonet.Chan(n)
    fire: gonet.Chan[None] = gonet.Chan()
    conns: list[gonet.Conn] = []
    path = {"longpoll": b"/poll", "stream": b"/stream", "idle": b"/"}[mode]
    request = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"

    def one() -> None:
        events = 0
        c = None
        try:
            dial_slots.send(None)
            try:
                c = gonet.dial("tcp", address, timeout=30)
            finally:
                dial_slots.recv()
            if mode == "longpoll":
                dialed.send(None)
                try:
                    fire.recv()  # every connection is up: all requests go at once
                except gonet.ChanClosedError:
                    pass
            c.write(request)
            if mode == "stream":
                buf = c.read()
                started.send(None)
                while not buf.endswith(b"0\r\n\r\n"):
                    data = c.read()
                    if not data:
                        raise EOFError("closed inside the stream")
                    buf += data
                events = buf.count(b"data: ")
            else:
                body, _ = read_response(c, b"")
                # a long poll counts only when it was answered "ok" (not given up on)
                events = 1 if (body == b"ok" if mode == "longpoll" else body) else 0
            if mode == "idle":
                conns.append(c)
                c = None
        except Exception as e:
            print(f"client error: {e!r}", file=sys.stderr)
            events = -1
        finally:
            if c is not None:
                c.close()
        done.send(events)

    t0 = time.monotonic()
    for _ in range(n):
        gonet.go(one)
    dial_time = 0.0
    if mode == "longpoll":
        for _ in range(n):
            dialed.recv()
        dial_time = time.monotonic() - t0
        t0 = time.monotonic()
        fire.close()
    if mode == "stream":
        for _ in range(n):
            started.recv()
        print("streaming", flush=True)
        gonet.blocking(sys.stdin.readline)
    ok = 0
    events = 0
    for _ in range(n):
        e = done.recv()
        if e >= 0:
            ok += 1
            events += e
    elapsed = time.monotonic() - t0
    if mode == "idle":
        print(f"ready {ok}", flush=True)
        gonet.blocking(sys.stdin.readline)
        for c in conns:
            c.close()
        return
    print(json.dumps({"ok": ok, "events": events, "elapsed": elapsed, "dial_time": dial_time}), flush=True)


if __name__ == "__main__":
    gonet.run(main, sys.argv[1], sys.argv[2], int(sys.argv[3]))
