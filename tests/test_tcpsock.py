"""Behaviours of Go's ``net/tcpsock_test.go`` (go1.22), and load on the edge-triggered poller.

Concurrent accept, many dials, a pending-connection backlog, big transfers
in both directions at once, a 4 MiB transfer read in 7,919-byte pieces (a
lost edge hangs it), 1,000 concurrent echoing connections, many short-lived
connections (TestTCPSpuriousConnSetupCompletion) and self-connect
avoidance (TestTCPSelfConnect). Every loop is bounded in count; every wait
is on a channel, a WaitGroup, ``join()`` or ``wait_all_blocked()``.
"""

from __future__ import annotations

import hashlib
import os
import random

import pytest

import gonet
from gonet.testing import gotest, wait_all_blocked
from netutil import pipe


def read_exact(conn: gonet.Conn, n: int) -> bytes:
    """read_exact reads exactly ``n`` bytes; fails on a premature EOF."""
    parts = []
    got = 0
    while got < n:
        chunk = conn.read(n - got)
        assert chunk, f"EOF after {got} of {n} bytes"
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)



def accept_until_closed(ln: gonet.Listener, out: gonet.Chan[gonet.Conn]) -> int:
    """accept_until_closed accepts and hands conns to ``out`` until ``ln`` is closed."""
    n = 0
    while True:
        try:
            c = ln.accept()
        except gonet.ClosedError:
            return n
        n += 1
        out.send(c)


# --- accept ----------------------------------------------------------------------------------


@gotest
def test_concurrent_accept() -> None:
    # Go's TestTCPConcurrentAccept: several goroutines accept on one listener.
    ln = gonet.listen("tcp", "127.0.0.1:0")
    accepted: gonet.Chan[gonet.Conn] = gonet.Chan(1000)
    acceptors = [gonet.go(accept_until_closed, ln, accepted) for _ in range(4)]
    wait_all_blocked()
    n = 200
    clients = []
    for _ in range(n):
        clients.append(gonet.dial("tcp", str(ln.addr)))
    servers = [accepted.recv() for _ in range(n)]
    ln.close()
    counts = [g.join() for g in acceptors]
    assert sum(counts) == n
    assert len(accepted) == 0
    # Every client was accepted exactly once.
    assert {s.remote_addr for s in servers} == {c.local_addr for c in clients}
    assert len({s.remote_addr for s in servers}) == n
    for conn in clients + servers:
        conn.close()


@gotest
def test_accept_backlog_of_pending_connections() -> None:
    # Connections completed by the kernel wait in the backlog until accepted.
    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        clients = [gonet.dial("tcp", str(ln.addr)) for _ in range(64)]
        for i, c in enumerate(clients):
            c.write(i.to_bytes(2, "big"))
        got = []
        for _ in clients:
            s = ln.accept()
            got.append(int.from_bytes(read_exact(s, 2), "big"))
            s.close()
        assert sorted(got) == list(range(64))
        for c in clients:
            assert c.read() == b""
            c.close()


@gotest
def test_many_dials_from_many_goroutines() -> None:
    ln = gonet.listen("tcp", "127.0.0.1:0")
    addr = str(ln.addr)

    def echo(conn: gonet.Conn) -> None:
        while data := conn.read():
            conn.write(data)

    server = gonet.go(ln.serve, echo)
    wg = gonet.WaitGroup()
    results: dict[int, bytes] = {}

    def client(i: int) -> None:
        try:
            for j in range(10):
                with gonet.dial("tcp", addr) as c:
                    msg = f"client {i} dial {j}".encode()
                    c.write(msg)
                    results[i * 10 + j] = read_exact(c, len(msg))
        finally:
            wg.done()

    for i in range(50):
        wg.add()
        gonet.go(client, i)
    wg.wait()
    assert len(results) == 500
    for k, v in results.items():
        assert v == f"client {k // 10} dial {k % 10}".encode()
    wait_all_blocked()  # let the handlers see EOF and return
    ln.close()
    server.join()


# --- big transfers ---------------------------------------------------------------------------


@gotest
def test_big_transfer_both_directions_concurrently() -> None:
    size = 16 << 20
    rng = random.Random(1)
    up = rng.randbytes(size)
    down = rng.randbytes(size)
    c, s = pipe()

    def writer(conn: gonet.Conn, data: bytes) -> int:
        n = conn.write(data)  # one call: the write loop handles every partial send
        conn.close_write()
        return n

    def reader(conn: gonet.Conn) -> tuple[int, str]:
        h = hashlib.sha256()
        total = 0
        buf = bytearray(1 << 16)
        while n := conn.read_into(buf):
            h.update(memoryview(buf)[:n])
            total += n
        return total, h.hexdigest()

    with c, s:
        gs = [gonet.go(writer, c, up), gonet.go(writer, s, down),
              gonet.go(reader, s), gonet.go(reader, c)]
        assert gs[0].join() == size
        assert gs[1].join() == size
        assert gs[2].join() == (size, hashlib.sha256(up).hexdigest())
        assert gs[3].join() == (size, hashlib.sha256(down).hexdigest())


@gotest
@pytest.mark.parametrize("mode", ["read", "read_into"])
def test_4mib_transfer_read_in_prime_pieces(mode: str) -> None:
    # 7,919 is prime: reads never line up with the writer's or the kernel's chunks.
    # An edge-triggered poller that loses a wakeup hangs here.
    size = 4 << 20
    piece = 7919
    data = os.urandom(size)
    c, s = pipe()
    with c, s:
        def writer() -> None:
            s.write(data)
            s.close_write()

        w = gonet.go(writer)
        out = bytearray()
        if mode == "read":
            while chunk := c.read(piece):
                assert len(chunk) <= piece
                out += chunk
        else:
            buf = bytearray(piece)
            while n := c.read_into(buf):
                out += buf[:n]
        w.join()
        assert len(out) == size
        assert out == data


@gotest
def test_transfer_with_reader_busy_elsewhere() -> None:
    # The reader yields between reads, so edges arrive while nobody is parked on the
    # pollDesc: they must be latched (READY), not lost.
    size = 1 << 20
    piece = 7919
    data = os.urandom(size)
    c, s = pipe()
    with c, s:
        def writer() -> None:
            for off in range(0, size, 10007):
                s.write(data[off:off + 10007])
                gonet.gosched()
            s.close_write()

        w = gonet.go(writer)
        out = bytearray()
        while chunk := c.read(piece):
            out += chunk
            for _ in range(3):
                gonet.gosched()
        w.join()
        assert out == data


@gotest
def test_small_writes_coalesce_and_all_arrive() -> None:
    c, s = pipe()
    with c, s:
        n = 5000

        def writer() -> None:
            for i in range(n):
                c.write(i.to_bytes(4, "big"))
            c.close_write()

        w = gonet.go(writer)
        got = bytearray()
        while chunk := s.read(4096):
            got += chunk
        w.join()
        assert len(got) == 4 * n
        assert [int.from_bytes(got[i:i + 4], "big") for i in range(0, len(got), 4)] \
            == list(range(n))


# --- stress ------------------------------------------------------------------------------


@gotest
def test_stress_1000_concurrent_echo_connections() -> None:
    conns, msgs = 1000, 5
    ln = gonet.listen("tcp", "127.0.0.1:0")
    addr = str(ln.addr)
    handlers = gonet.WaitGroup()

    def echo(conn: gonet.Conn) -> None:
        try:
            while data := conn.read():
                conn.write(data)
        finally:
            handlers.done()

    def acceptor() -> None:
        while True:
            try:
                conn = ln.accept()
            except gonet.ClosedError:
                return
            handlers.add()
            gonet.go(echo_and_close, conn)

    def echo_and_close(conn: gonet.Conn) -> None:
        with conn:
            echo(conn)

    server = gonet.go(acceptor)
    connected = gonet.WaitGroup()
    connected.add(conns)
    start: gonet.Chan[None] = gonet.Chan()
    finished = gonet.WaitGroup()
    finished.add(conns)
    verified = [0]

    def client(i: int) -> None:
        try:
            with gonet.dial("tcp", addr) as c:
                connected.done()
                try:
                    start.recv()
                except gonet.ChanClosedError:
                    pass
                for j in range(msgs):
                    msg = f"[{i}:{j}]".encode() * (1 + (i + j) % 7)
                    c.write(msg)
                    assert read_exact(c, len(msg)) == msg
                    verified[0] += 1
        finally:
            finished.done()

    clients = [gonet.go(client, i) for i in range(conns)]
    connected.wait()  # all 1,000 connections are open at once ...
    assert gonet.stats()["goroutines"] > conns
    start.close()  # ... and then all of them talk
    finished.wait()
    for g in clients:
        g.join()  # re-raises a client's assertion, if any
    assert verified[0] == conns * msgs
    handlers.wait()
    ln.close()
    server.join()


@gotest
def test_spurious_conn_setup_completion() -> None:
    # Go's TestTCPSpuriousConnSetupCompletion: many short-lived connections set up in
    # parallel; every dial that returns is really connected to the listener.
    ln = gonet.listen("tcp", "127.0.0.1:0")
    addr = ln.addr
    accepted: gonet.Chan[gonet.Conn] = gonet.Chan(100)
    acceptor = gonet.go(accept_until_closed, ln, accepted)

    def server() -> int:
        n = 0
        while True:
            try:
                conn = accepted.recv()
            except gonet.ChanClosedError:
                return n
            with conn:
                assert conn.read(1) == b"!"
                n += 1

    srv = gonet.go(server)
    wg = gonet.WaitGroup()

    def dialer() -> None:
        try:
            for _ in range(40):
                c = gonet.dial("tcp", str(addr))
                try:
                    assert c.remote_addr == addr
                    assert c.local_addr is not None and c.local_addr != addr
                    c.write(b"!")
                    assert c.read() == b""  # the server closes after reading the byte
                finally:
                    c.close()
        finally:
            wg.done()

    ds = []
    for _ in range(10):
        wg.add()
        ds.append(gonet.go(dialer))
    wg.wait()
    for d in ds:
        d.join()
    ln.close()
    assert acceptor.join() == 400
    accepted.close()
    assert srv.join() == 400


@gotest
def test_self_connect_never_returned() -> None:
    # Go's TestTCPSelfConnect: dialing a free local port can make the kernel connect
    # the socket to itself (simultaneous open). dial must never return such a conn.
    with gonet.listen("tcp4", "127.0.0.1:0") as ln:
        assert ln.addr is not None
        port = ln.addr.port
    for _ in range(300):
        try:
            c = gonet.dial("tcp", f"127.0.0.1:{port}")
        except ConnectionRefusedError:
            continue
        with c:
            assert c.local_addr != c.remote_addr
            return  # someone else took the port: nothing more to learn


@gotest
def test_dial_refused_repeatedly_leaks_nothing() -> None:
    with gonet.listen("tcp4", "127.0.0.1:0") as ln:
        assert ln.addr is not None
        port = ln.addr.port
    before = gonet.stats()["netpoll_fds"]
    for _ in range(50):
        with pytest.raises(ConnectionRefusedError):
            gonet.dial("tcp", f"127.0.0.1:{port}")
    assert gonet.stats()["netpoll_fds"] == before


@gotest
def test_tcp_read_write_interleaved_pairs() -> None:
    # Many pairs ping-pong one byte at a time: every write wakes exactly the right reader.
    pairs = [pipe() for _ in range(50)]
    rounds = 20

    def pinger(c: gonet.Conn) -> int:
        n = 0
        for i in range(rounds):
            c.write(bytes([i]))
            assert c.read(1) == bytes([i + 1])
            n += 1
        return n

    def ponger(s: gonet.Conn) -> None:
        while b := s.read(1):
            s.write(bytes([b[0] + 1]))

    pongs = [gonet.go(ponger, s) for _, s in pairs]
    pings = [gonet.go(pinger, c) for c, _ in pairs]
    assert [g.join() for g in pings] == [rounds] * len(pairs)
    for c, _ in pairs:
        c.close()
    for g in pongs:
        g.join()
    for _, s in pairs:
        s.close()
