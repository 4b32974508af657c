"""gonet's own machinery under gonet.patch(): blocking() and DNS lookups from many goroutines.

patch() makes ``threading.Lock``, ``RLock`` and ``queue.SimpleQueue`` hybrid.
The runtime's own bookkeeping (the ``blocking()`` worker pool, the call
queue, the netpoller's wake lock) must not use them: a goroutine that found
the pool's lock held for a moment by a worker thread parked in it, which
moved its park token after ``blocking()`` had read it for the job, so the
worker's outcome was dropped as stale and the run ended in ``DeadlockError``
("all goroutines are asleep"). Before the fix every round below failed that
way; the storms make the contention near certain (each worker takes the
pool's lock after every job, while the scheduler thread submits the next).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest

import gonet
from patchpeers import patched

__all__ = ["patched"]

ROUNDS = 5
GOROUTINES = 20
CALLS = 50


@pytest.fixture(params=[1, 4, 64], ids=lambda n: f"workers={n}")
def max_blocking(request: pytest.FixtureRequest) -> Iterator[int]:
    """max_blocking runs the test with that many blocking() workers per runtime."""
    old = gonet.set_max_blocking(request.param)
    try:
        yield request.param
    finally:
        gonet.set_max_blocking(old)


@pytest.fixture
def busy_gil() -> Iterator[None]:
    """busy_gil switches the GIL often, so threads are preempted inside short critical sections."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


@pytest.mark.timeout(60)
def test_blocking_storm_every_call_returns(patched: None, max_blocking: int,
                                          busy_gil: None) -> None:
    """Every blocking() call of many goroutines returns its own result; no DeadlockError."""

    def worker(k: int) -> list[int]:
        return [gonet.blocking(int, str(k * CALLS + i)) for i in range(CALLS)]

    def main() -> list[list[int]]:
        gs = [gonet.go(worker, k) for k in range(GOROUTINES)]
        return [g.join() for g in gs]

    for _ in range(ROUNDS):
        got = gonet.run(main)
        assert got == [list(range(k * CALLS, (k + 1) * CALLS)) for k in range(GOROUTINES)]


@pytest.mark.timeout(60)
def test_lookup_storm_by_hostname(patched: None, max_blocking: int, busy_gil: None) -> None:
    """Patched getaddrinfo("localhost") from many goroutines: the libc answers, every time."""
    want = socket.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM)  # no runtime

    def worker() -> bool:
        return all(socket.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM) == want
                   for _ in range(10))

    def main() -> list[bool]:
        gs = [gonet.go(worker) for _ in range(GOROUTINES)]
        return [g.join() for g in gs]

    for _ in range(ROUNDS):
        assert gonet.run(main) == [True] * GOROUTINES


@pytest.mark.timeout(60)
def test_blocking_mixed_with_hybrid_locks_held_by_threads(patched: None, busy_gil: None) -> None:
    """Goroutines parked on a Lock a worker thread holds and blocking() outcomes both arrive."""
    import threading

    lock = threading.Lock()  # hybrid: created after patch()
    counts = [0]

    def locked_increment() -> None:
        with lock:  # a blocking() worker: the plain-thread path
            counts[0] += 1

    def worker() -> None:
        for _ in range(CALLS // 2):
            gonet.blocking(locked_increment)
            with lock:  # a goroutine: parks while a worker holds it
                counts[0] += 1

    def main() -> None:
        gs = [gonet.go(worker) for _ in range(GOROUTINES)]
        for g in gs:
            g.join()

    for _ in range(ROUNDS):
        counts[0] = 0
        gonet.run(main)
        assert counts[0] == GOROUTINES * (CALLS // 2) * 2
