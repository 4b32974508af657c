"""Where goroutines win: 10,000 long polls, 1,000 streams, 10,000 idle keep-alive connections.

The server runs in this process (a runtime on a background thread); the
clients run in a gonet subprocess (tests/http_load_client.py) so that both
sides fit in their own descriptor limits. Memory numbers are printed for the
benchmark README, not asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

import gonet
from gonet.http import Request, ResponseWriter, WSGIHandler
from httputil import ServerThread, exchange

CLIENT = os.path.join(os.path.dirname(__file__), "http_load_client.py")


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def spawn(mode: str, address: str, n: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, CLIENT, mode, address, str(n)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=dict(os.environ))


def finish(p: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise
    assert p.returncode == 0, out
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


PARKED = [0, 0]  # parked now, most parked at once
#: The long poll's channel and its runtime (created by the first handler, on the server's runtime).
RELEASE: list[Any] = [None, None]


def poll_handler(w: ResponseWriter, r: Request) -> None:
    if r.path == "/poll":
        if RELEASE[0] is None:
            RELEASE[:] = [gonet.Chan(), gonet.current_runtime()]
        PARKED[0] += 1
        PARKED[1] = max(PARKED[1], PARKED[0])
        # A long poll: the goroutine parks on a channel receive until the test releases
        # every poll at once by closing the channel (the test's timeout bounds a hang).
        _, ok = RELEASE[0].recv_ok()
        PARKED[0] -= 1
        w.write(b"unexpected value" if ok else b"ok")
        return
    w.write(b"ok")


def close_client(p: subprocess.Popen[str]) -> None:
    if p.poll() is None:
        p.kill()
        p.wait()
    for f in (p.stdin, p.stdout):
        if f is not None:
            f.close()


@pytest.mark.timeout(120)
def test_10000_long_polls_finish_together_while_others_are_served() -> None:
    n = 10_000
    PARKED[:] = [0, 0]
    RELEASE[:] = [None, None]
    with ServerThread(poll_handler, max_conns=None) as st:
        p = spawn("longpoll", st.address, n)
        try:
            deadline = time.monotonic() + 60
            while PARKED[0] < n and p.poll() is None:  # until all 10,000 are parked at once
                assert time.monotonic() < deadline
                time.sleep(0.005)
            assert PARKED[0] == n
            # while the 10,000 long polls are parked, a normal request is answered
            t = time.monotonic()
            answer = exchange(st.address, b"GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            latency = time.monotonic() - t
            assert answer.endswith(b"\r\n\r\nok")
            assert PARKED[0] == n  # none of them was given up on meanwhile
            t = time.monotonic()
            gonet.from_thread(RELEASE[1], RELEASE[0].close)  # the event every poll waits for
            result = finish(p, 60)
            released = time.monotonic() - t
        finally:
            close_client(p)
    print(f"\n10,000 long polls parked at once (after {result['dial_time']:.2f} s to open the "
          f"connections); all answered {released:.2f} s after the release; a normal request "
          f"meanwhile: {latency * 1000:.1f} ms")
    assert result["ok"] == n  # every one answered "ok" once released
    assert PARKED[0] == 0 and PARKED[1] == n
    assert st.shutdown_result is True


def stream_app(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/event-stream")])

    def events() -> Any:
        for i in range(20):
            yield b"data: %d\n\n" % i
            gonet.sleep(0.1)
    return events()


@pytest.mark.timeout(120)
def test_1000_streaming_clients_at_once() -> None:
    n = 1000
    with ServerThread(WSGIHandler(stream_app)) as st:
        before = rss_kib()
        p = spawn("stream", st.address, n)
        try:
            assert p.stdout is not None
            line = p.stdout.readline()
            assert line.strip() == "streaming", line
            during = rss_kib()
            assert p.stdin is not None
            p.stdin.write("\n")
            p.stdin.flush()
            result = finish(p, 60)
        finally:
            close_client(p)
    per_conn = (during - before) * 1024 / n
    print(f"\n1,000 streaming responses: server RSS +{per_conn / 1024:.1f} KiB per streaming connection")
    assert result["ok"] == n and result["events"] == 20 * n


@pytest.mark.timeout(120)
def test_memory_per_idle_keep_alive_connection() -> None:
    n = 10_000
    with ServerThread(WSGIHandler(lambda e, s: (s("200 OK", []), [b"ok"])[1])) as st:
        # warm up allocator pools with a few connections first
        for _ in range(3):
            requests.get(f"http://{st.address}/", timeout=5)
        before = rss_kib()
        p = spawn("idle", st.address, n)
        try:
            assert p.stdout is not None and p.stdin is not None
            line = p.stdout.readline()
            assert line.strip() == f"ready {n}", line
            deadline = time.monotonic() + 30
            while st.srv is not None and st.srv.requests < n + 3:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            after = rss_kib()
            p.stdin.write("\n")
            p.stdin.flush()
            p.wait(timeout=60)
        finally:
            close_client(p)
    per_conn = (after - before) / n
    print(f"\n10,000 idle keep-alive connections: server RSS +{per_conn:.2f} KiB per connection "
          f"(build: {gonet.BUILD})")
    assert st.shutdown_result is True
