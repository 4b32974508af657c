"""The blocking() pool's size (set_max_blocking, GONET_MAX_BLOCKING) and the DNS lookups' own cap."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import gonet
from gonet._runtime.proc import blocking_capped
from gonet.net.lookup import MAX_LOOKUPS

WAIT = 10.0


class Gate:
    """Gate counts the calls inside it and holds them until released."""

    def __init__(self, fn: Callable[..., Any] | None = None) -> None:
        self.fn = fn
        self.lock = threading.Lock()
        self.active = 0
        self.most = 0
        self.release = threading.Event()
        self.reached: dict[int, threading.Event] = {}

    def wait_for(self, n: int) -> threading.Event:
        with self.lock:
            ev = self.reached.setdefault(n, threading.Event())
            if self.active >= n:
                ev.set()
        return ev

    def __call__(self, *args: Any) -> Any:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
            for n, ev in self.reached.items():
                if self.active >= n:
                    ev.set()
        try:
            assert self.release.wait(WAIT), "never released"
            return self.fn(*args) if self.fn is not None else None
        finally:
            with self.lock:
                self.active -= 1


@pytest.fixture
def max_blocking() -> Iterator[Callable[[int], None]]:
    old = gonet.set_max_blocking(64)
    gonet.set_max_blocking(old)
    yield lambda n: gonet.set_max_blocking(n) and None
    gonet.set_max_blocking(old)


def _waiting(reason: str) -> int:
    return int(gonet.stats()["waiting"].get(reason, 0))


def test_set_max_blocking_bounds_the_worker_threads(max_blocking: Callable[[int], None]) -> None:
    max_blocking(3)
    gate = Gate()

    def main() -> None:
        gs = [gonet.go(gonet.blocking, gate) for _ in range(10)]
        # Waiting in blocking() would need a fourth thread: poll on the runtime instead.
        deadline = gonet.monotonic() + WAIT
        while gate.active < 3 and gonet.monotonic() < deadline:
            gonet.sleep(0.001)
        assert gate.active == 3
        assert gonet.stats()["blocking_pending"] == 10  # seven wait for a thread
        gate.release.set()
        for g in gs:
            g.join()

    gonet.run(main)
    assert gate.most == 3


def test_set_max_blocking_rejects_bad_values() -> None:
    for bad in (0, -1):
        with pytest.raises(ValueError):
            gonet.set_max_blocking(bad)
    for wrong in (2.5, "8", True):
        with pytest.raises(TypeError):
            gonet.set_max_blocking(wrong)  # type: ignore[arg-type]


def test_gonet_max_blocking_env_sets_the_default() -> None:
    code = "import gonet; print(gonet.set_max_blocking(1))"
    env = {**os.environ, "GONET_MAX_BLOCKING": "7"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "7"
    env["GONET_MAX_BLOCKING"] = "lots"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "64" and "GONET_MAX_BLOCKING" in out.stderr


def test_blocking_capped_runs_at_most_cap_calls_of_its_group() -> None:
    gate = Gate(lambda x: x * 2)

    def main() -> list[int]:
        gs = [gonet.go(blocking_capped, "test", 3, gate, i) for i in range(12)]
        gonet.blocking(gate.wait_for(3).wait, WAIT)
        assert _waiting("semacquire") == 9  # the rest park; they hold no thread
        assert gonet.blocking(lambda: "other calls still run") == "other calls still run"
        gate.release.set()
        return [g.join() for g in gs]

    assert gonet.run(main) == [i * 2 for i in range(12)]
    assert gate.most == 3


def test_stuck_dns_lookups_cannot_take_every_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # getaddrinfo stays the real one; the gate only holds each call (a resolver that hangs).
    gate = Gate(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", gate)

    def main() -> int:
        with gonet.listen("tcp", "127.0.0.1:0") as ln:
            port = ln.addr.port
            acceptor = gonet.go(lambda: [ln.accept().close() for _ in range(2 * MAX_LOOKUPS)])
            dials = [gonet.go(gonet.dial, "tcp", f"localhost:{port}") for _ in range(2 * MAX_LOOKUPS)]
            gonet.blocking(gate.wait_for(MAX_LOOKUPS).wait, WAIT)
            assert _waiting("semacquire") == MAX_LOOKUPS
            # With the lookups stuck, blocking() still has threads to give.
            assert gonet.blocking(sum, [1, 2, 3]) == 6
            gate.release.set()
            for d in dials:
                d.join().close()
            acceptor.join()
            return gate.most

    assert gonet.run(main) == MAX_LOOKUPS
