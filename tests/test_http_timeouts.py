"""gonet.http limits on deadlines: slowloris, idle/header/body/write timeouts, max_conns, shutdown."""

from __future__ import annotations

import selectors
import socket
import threading
import time
from typing import Any

import pytest
import requests

import gonet
from gonet.http import Request, ResponseWriter, WSGIHandler
from httputil import ServerThread, connect, hello_wsgi, read_to_eof, status_of, wait_until


@pytest.mark.timeout(60)
def test_slowloris_gets_408_while_others_are_served() -> None:
    n = 200
    with ServerThread(WSGIHandler(hello_wsgi), read_header_timeout=1.5) as st:
        clients = [connect(st.address) for _ in range(n)]
        try:
            request = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
            start = time.monotonic()
            sent = 0
            normal_latency = None
            sel = selectors.DefaultSelector()
            for c in clients:
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ)
            answers: dict[socket.socket, bytes] = {}
            done: set[socket.socket] = set()
            next_byte = start
            while len(done) < n and time.monotonic() - start < 20:
                now = time.monotonic()
                if now >= next_byte and sent < len(request):  # one header byte per client per second
                    for c in clients:
                        if c not in done:
                            try:
                                c.send(request[sent:sent + 1])
                            except OSError:
                                pass
                    sent += 1
                    next_byte += 1.0
                if normal_latency is None and sent >= 1:
                    # a normal client in the middle of the attack is served at once
                    t = time.monotonic()
                    r = requests.get(f"http://{st.address}/", timeout=5)
                    normal_latency = time.monotonic() - t
                    assert r.status_code == 200 and time.monotonic() - start < 1.5
                for key, _ in sel.select(timeout=0.05):
                    c = key.fileobj
                    assert isinstance(c, socket.socket)
                    data = c.recv(4096)
                    if data:
                        answers[c] = answers.get(c, b"") + data
                    else:
                        done.add(c)
                        sel.unregister(c)
            elapsed = time.monotonic() - start
            sel.close()
        finally:
            for c in clients:
                c.close()
    assert len(done) == n, f"only {len(done)} of {n} slow clients were closed"
    assert all(status_of(answers[c]) == 408 for c in clients)
    assert 1.5 <= elapsed < 10  # cut after the header timeout, not after their last byte
    assert normal_latency is not None


def test_idle_keep_alive_connection_is_closed_silently() -> None:
    with ServerThread(WSGIHandler(hello_wsgi), idle_timeout=0.3) as st, connect(st.address) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = s.recv(4096)
        assert first.endswith(b"Hello, world!")
        t = time.monotonic()
        assert read_to_eof(s) == b""  # closed without a 408: nothing was asked
        assert 0.25 <= time.monotonic() - t < 3


def test_partial_head_times_out_with_408() -> None:
    with ServerThread(WSGIHandler(hello_wsgi), read_header_timeout=0.3) as st, connect(st.address) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost:")
        assert status_of(read_to_eof(s)) == 408


def test_body_read_timeout_is_408() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [body]

    with ServerThread(WSGIHandler(app), read_timeout=0.3) as st, connect(st.address) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        assert status_of(read_to_eof(s)) == 408


def test_client_that_stops_reading_is_cut_by_the_write_deadline() -> None:
    outcome: list[BaseException] = []
    done = threading.Event()

    def handler(w: ResponseWriter, r: Request) -> None:
        try:
            for _ in range(10_000):  # 640 MiB at most: far more than any socket buffer
                w.write(b"x" * 65536)
                w.flush()
        except BaseException as e:
            outcome.append(e)
            done.set()
            raise

    with ServerThread(handler, write_timeout=0.3) as st, connect(st.address) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 200")
        assert done.wait(10), "the stalled write was not cut"
        assert isinstance(outcome[0], gonet.DeadlineExceededError)
        assert requests.get(f"http://{st.address}/", timeout=5).status_code == 200


def test_max_conns_stops_accepting() -> None:
    with ServerThread(WSGIHandler(hello_wsgi), max_conns=2) as st:
        a = connect(st.address)
        b = connect(st.address)
        for s in (a, b):  # both are being served
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).endswith(b"Hello, world!")
        wait_until(lambda: st.srv is not None and st.srv.stats()["conns"] == 2)
        c = connect(st.address, timeout=0.5)  # the kernel completes the handshake (backlog)
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(TimeoutError):
            c.recv(4096)  # not accepted while two connections are open
        a.close()
        c.settimeout(10)
        assert c.recv(4096).endswith(b"Hello, world!")  # accepted once a slot freed
        b.close()
        c.close()


def test_shutdown_completes_in_flight_and_closes_idle() -> None:
    started = threading.Event()
    result: dict[str, Any] = {}

    def handler(w: ResponseWriter, r: Request) -> None:
        if r.path == "/slow":
            started.set()
            gonet.sleep(0.5)
        w.write(b"done " + r.path.encode())

    st = ServerThread(handler)
    with st:
        idle = connect(st.address)
        idle.sendall(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle.recv(4096).endswith(b"done /first")
        busy = connect(st.address)
        busy.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        assert started.wait(10)
        st.stop_event.set()  # shutdown while /slow is in progress
        result["busy"] = read_to_eof(busy)
        result["idle"] = read_to_eof(idle)
        busy.close()
        idle.close()
    assert result["busy"].endswith(b"done /slow") and b"Connection: close" in result["busy"]
    assert result["idle"] == b""
    assert st.shutdown_result is True
    with pytest.raises(OSError):
        connect(st.address, timeout=1)


def test_shutdown_timeout_gives_up_and_closes() -> None:
    def handler(w: ResponseWriter, r: Request) -> None:
        r.body.read()  # the client never sends it: in progress until close() wakes the read

    st = ServerThread(handler, shutdown_timeout=0.2)
    with st:
        s = connect(st.address)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
        wait_until(lambda: st.srv is not None and st.srv.stats()["active"] == 1)
        st.stop_event.set()
        assert read_to_eof(s) == b""
        s.close()
    assert st.shutdown_result is False


def test_server_close_and_stats_in_one_runtime() -> None:
    def main() -> dict[str, int]:
        srv = gonet.http.Server(WSGIHandler(hello_wsgi))
        ln = gonet.listen("tcp", "127.0.0.1:0")
        g = gonet.go(srv.serve, ln)
        c = gonet.dial("tcp", str(ln.addr))
        c.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while not got.endswith(b"Hello, world!"):
            got += c.read()
        stats = srv.stats()
        srv.close()
        assert c.read() == b""
        c.close()
        g.join()
        return stats

    import gonet.http
    stats = gonet.run(main)
    assert stats == {"conns": 1, "active": 0, "idle": 1, "requests": 1}


EMFILE_SERVER = r"""
import resource, sys, gonet, gonet.http

def handler(w, r):
    w.write(b"ok")

def main():
    ln = gonet.listen("tcp", "127.0.0.1:0")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    import os
    used = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (used + 10, hard))  # room for 10 connections
    print(ln.addr.port, flush=True)
    srv = gonet.http.Server(handler)
    g = gonet.go(srv.serve, ln)
    gonet.blocking(sys.stdin.readline)
    srv.close()
    g.join()

gonet.run(main)
"""


@pytest.mark.timeout(60)
def test_emfile_backs_off_and_recovers() -> None:
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", EMFILE_SERVER], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    held: list[socket.socket] = []
    try:
        assert p.stdout is not None and p.stdin is not None
        address = f"127.0.0.1:{int(p.stdout.readline())}"
        for _ in range(12):  # more than the server has descriptors for
            s = connect(address, timeout=0.5)
            held.append(s)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        answered = []
        for s in held:
            try:
                answered.append(s.recv(4096).endswith(b"ok"))
            except TimeoutError:
                answered.append(False)
        assert any(answered) and not all(answered)  # served up to the limit, the rest wait
        waiting = [s for s, ok in zip(held, answered, strict=True) if not ok]
        for s, ok in zip(held, answered, strict=True):
            if ok:
                s.close()
        for s in waiting:  # descriptors freed: the backed-off accept loop takes them now
            s.settimeout(10)
            assert s.recv(4096).endswith(b"ok")
        p.stdin.write("\n")
        p.stdin.flush()
        _, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        assert "accept error" in err and "retrying in" in err
    finally:
        for s in held:
            s.close()
        if p.poll() is None:
            p.kill()
            p.communicate()


def test_no_idle_timeout_keeps_the_connection_past_the_header_timeout() -> None:
    with ServerThread(WSGIHandler(hello_wsgi), read_header_timeout=0.2, idle_timeout=None) as st, \
            connect(st.address) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(4096).endswith(b"Hello, world!")
        s.settimeout(0.6)  # three header timeouts later the idle connection is still open
        with pytest.raises(TimeoutError):
            s.recv(4096)
        s.settimeout(10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(4096).endswith(b"Hello, world!")
