"""gonet.tls's conn locks (lock.py): the inline fast path, contention, FIFO hand-over, threads.

Also through a TLSConn: many readers and many writers on one conn take turns
(each write's records stay together), and a call from another thread is
refused without disturbing the conn's owner.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import gonet
import gonet.tls
from gonet.testing import gotest, wait_all_blocked
from gonet.tls.lock import ConnLock
from tlsutil import Certs, make_certs


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Certs]:
    yield make_certs(Path(tmp_path_factory.mktemp("tls-lock")))


def accept(ln: gonet.tls.TLSListener) -> gonet.tls.TLSConn:
    s = ln.accept()
    s.handshake()  # dial waits for it
    return s


@gotest
def test_uncontended_lock_never_touches_the_mutex() -> None:
    lk = ConnLock(threading.get_ident(), "read")
    assert not lk.locked() and lk.state == 0
    lk.lock()
    assert lk.locked() and lk.state == 1
    assert not lk.try_lock()
    lk.unlock()
    assert lk.state == 0
    assert lk.try_lock() and lk.state == 1
    lk.unlock()
    assert not lk.locked()
    with pytest.raises(RuntimeError, match="unlock of an unlocked"):
        lk.unlock()


@gotest
def test_contenders_park_and_get_the_lock_in_arrival_order() -> None:
    lk = ConnLock(threading.get_ident(), "write")
    order: list[int] = []

    def contender(i: int) -> None:
        lk.lock()
        assert lk.locked()
        order.append(i)
        gonet.gosched()  # still held across a switch: the others stay parked
        lk.unlock()

    lk.lock()  # the fast path: state 1
    gs = [gonet.go(contender, i) for i in range(5)]
    wait_all_blocked()
    assert order == [] and lk.state == 2  # the first contender made the Mutex stand for us
    assert not lk.try_lock()
    lk.unlock()
    for g in gs:
        g.join()
    assert order == [0, 1, 2, 3, 4]
    assert lk.state == 0  # the last one out freed it: back to the fast path
    lk.lock()
    assert lk.state == 1
    lk.unlock()


@gotest
def test_a_lock_belongs_to_its_thread() -> None:
    lk = ConnLock(threading.get_ident(), "read")
    errors: list[BaseException] = []

    def other() -> None:
        try:
            lk.lock()
        except RuntimeError as e:
            errors.append(e)
        errors.append(RuntimeError(f"try_lock={lk.try_lock()}"))

    t = threading.Thread(target=other)
    t.start()
    gonet.blocking(t.join)
    assert "another thread" in str(errors[0]) and str(errors[1]) == "try_lock=False"
    assert lk.state == 0  # untouched
    lk.lock()
    lk.unlock()


@gotest
def test_tls_calls_from_another_thread_are_refused(certs: Certs) -> None:
    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        srv = gonet.go(accept, ln)
        c = gonet.tls.dial("tcp", str(ln.addr), certs.client_context(),
                           server_hostname="localhost")
        s = srv.join()
        results: list[str] = []

        def other() -> None:
            for call in (lambda: c.read(), lambda: c.read_into(bytearray(8)),
                         lambda: c.write(b"x")):
                try:
                    call()
                    results.append("no error")
                except RuntimeError as e:
                    results.append(str(e))

        t = threading.Thread(target=other)
        t.start()
        gonet.blocking(t.join)
        assert len(results) == 3 and all("another thread" in r for r in results), results
        # The owner goes on as if nothing happened.
        c.write(b"ping")
        assert s.read() == b"ping"
        s.write(b"pong")
        assert c.read() == b"pong"
        c.close()
        s.close()


@gotest
def test_many_readers_and_writers_take_turns_on_one_conn(certs: Certs) -> None:
    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        srv = gonet.go(accept, ln)
        c = gonet.tls.dial("tcp", str(ln.addr), certs.client_context(),
                           server_hostname="localhost")
        s = srv.join()
        n, size = 6, 50_000  # each write is several records: they must not interleave

        def writer(k: int) -> None:
            c.write(bytes([k]) * size)

        got: gonet.Chan[bytes] = gonet.Chan(1000)

        def reader() -> None:
            while data := s.read(7000):
                got.send(data)

        writers = [gonet.go(writer, k) for k in range(n)]
        readers = [gonet.go(reader) for _ in range(4)]
        stream = bytearray()
        while len(stream) < n * size:
            stream += got.recv()
        for w in writers:
            w.join()
        # Each writer's bytes form one run (writes are atomic); readers only split it.
        runs = [stream[i] for i in range(0, len(stream), size)]
        assert sorted(runs) == list(range(n))
        assert all(stream[i * size:(i + 1) * size] == bytes([runs[i]]) * size for i in range(n))
        c.close()  # close_notify: every reader ends with b""
        for r in readers:
            r.join()
        s.close()
