"""redis-py under gonet.patch() against a real redis-server, with and without hiredis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import gonet
from patchpeers import patched, redis_server

redis = pytest.importorskip("redis")
from redis._parsers import _HiredisParser, _RESP2Parser  # noqa: E402

__all__ = ["patched"]

PARSERS = [pytest.param(_RESP2Parser, id="python-parser"),
           pytest.param(_HiredisParser, id="hiredis",
                        marks=pytest.mark.skipif(not redis.utils.HIREDIS_AVAILABLE,
                                                 reason="hiredis not installed"))]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, str]]:
    with redis_server() as s:
        yield s


@pytest.mark.parametrize("parser", PARSERS)
def test_1000_goroutines_set_get_through_one_pool(patched: None, server: tuple[int, str],
                                                  parser: Any) -> None:
    port, _ = server
    # A blocking pool: 1,000 goroutines share 50 connections, waiting on its hybrid queue.
    pool = redis.BlockingConnectionPool(host="127.0.0.1", port=port, parser_class=parser,
                                        max_connections=50, timeout=20)
    client = redis.Redis(connection_pool=pool)
    n = 1000

    def worker(i: int) -> bytes:
        key = f"k:{parser.__name__}:{i}"
        client.set(key, f"value-{i}-" + "x" * (i % 50))
        got: bytes = client.get(key)
        return got

    def main() -> list[Any]:
        gs = [gonet.go(worker, i) for i in range(n)]
        return [g.join() for g in gs]

    try:
        results = gonet.run(main)
        for i, got in enumerate(results):
            assert got == f"value-{i}-".encode() + b"x" * (i % 50)
        # The pool really was shared: far fewer connections than goroutines.
        assert 1 <= len(pool._connections) <= 50
    finally:
        pool.disconnect()


def test_default_pool_grows_per_goroutine(patched: None, server: tuple[int, str]) -> None:
    """The default pool opens a connection per concurrent goroutine; INCR sees every one."""
    port, _ = server
    pool = redis.ConnectionPool(host="127.0.0.1", port=port, max_connections=200)
    client = redis.Redis(connection_pool=pool)

    def worker(i: int) -> int:
        return int(client.incr("blocking-pool-counter"))

    def main() -> list[int]:
        client.delete("blocking-pool-counter")
        gs = [gonet.go(worker, i) for i in range(200)]
        return sorted(g.join() for g in gs)

    try:
        assert gonet.run(main) == list(range(1, 201))
    finally:
        pool.disconnect()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("parser", PARSERS)
def test_100_blpop_time_out_together_while_a_ticker_keeps_its_beat(
        patched: None, server: tuple[int, str], parser: Any) -> None:
    _, path = server
    pool = redis.ConnectionPool(path=path, parser_class=parser,
                                connection_class=redis.UnixDomainSocketConnection)
    client = redis.Redis(connection_pool=pool)
    ticks: list[float] = []

    def waiter(i: int) -> Any:
        return client.blpop([f"empty-list-{i}"], timeout=0.5)

    def main() -> tuple[float, list[Any]]:
        stop_flag: list[bool] = []

        def tick() -> None:
            while not stop_flag:
                time.sleep(0.1)
                ticks.append(time.monotonic())

        tg = gonet.go(tick)
        try:
            t0 = time.monotonic()
            gs = [gonet.go(waiter, i) for i in range(100)]
            results = [g.join() for g in gs]
            elapsed = time.monotonic() - t0
        finally:
            stop_flag.append(True)
            tg.join()
        return elapsed, results

    try:
        elapsed, results = gonet.run(main)
    finally:
        pool.disconnect()
    assert results == [None] * 100
    assert elapsed < 5.0, f"100 BLPOPs of 0.5 s took {elapsed:.2f} s: they ran one after another"
    # The ticker kept beating while every other goroutine waited on redis.
    assert len(ticks) >= 3, ticks


def test_pooled_socket_is_borrowed_across_runs(patched: None, server: tuple[int, str]) -> None:
    """A socket a pool keeps open survives run(): unregistered at its end, never closed."""
    from gonet._patch.sockets import registrations_of

    port, _ = server
    pool = redis.ConnectionPool(host="127.0.0.1", port=port, max_connections=1)
    client = redis.Redis(connection_pool=pool)
    try:
        assert gonet.run(lambda: client.set("borrowed", "1"))
        conn = pool._available_connections[0]
        sock = conn._sock
        assert sock is not None and sock.fileno() >= 0  # still open after run()
        assert registrations_of(sock) == []  # ... and no longer registered anywhere
        assert gonet.run(lambda: client.get("borrowed")) == b"1"
        assert pool._available_connections[0]._sock is sock  # the same socket was reused
        assert client.get("borrowed") == b"1"  # and works outside a runtime too
    finally:
        pool.disconnect()


def test_release_from_a_thread_wakes_a_parked_goroutine(patched: None) -> None:
    """The pool lock pattern redis-py relies on: a plain thread releases, a goroutine wakes."""
    lock = threading.Lock()
    lock.acquire()

    def main() -> float:
        t = threading.Thread(target=lambda: (time.sleep(0.05), lock.release()))
        t.start()
        t0 = time.monotonic()
        assert lock.acquire(timeout=5)
        lock.release()
        t.join()
        return time.monotonic() - t0

    assert gonet.run(main) < 5
