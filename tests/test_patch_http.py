"""requests/urllib3 and http.client under gonet.patch() against ``python -m http.server``."""

from __future__ import annotations

import hashlib
import http.client
import socket
import time
from collections.abc import Iterator

import pytest

import gonet
from patchpeers import http_server, patched

requests = pytest.importorskip("requests")

__all__ = ["patched"]

N_FILES = 20


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, dict[str, str]]]:
    d = tmp_path_factory.mktemp("site")
    digests = {}
    for i in range(N_FILES):
        body = (f"file {i}\n".encode() * (1000 + 997 * i))  # up to ~170 KiB
        (d / f"f{i}.txt").write_bytes(body)
        digests[f"f{i}.txt"] = hashlib.sha256(body).hexdigest()
    with http_server(str(d)) as port:
        yield port, digests


def _stalling_listener() -> tuple[socket.socket, int]:
    """A listener that accepts (in the kernel's backlog) and never answers."""
    ln = socket.socket()
    ln.bind(("127.0.0.1", 0))
    ln.listen(16)
    return ln, ln.getsockname()[1]


def test_requests_concurrent_fetches_bodies_checked(patched: None,
                                                   site: tuple[int, dict[str, str]]) -> None:
    port, digests = site

    def main() -> dict[str, str]:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8, pool_block=True)
        session.mount("http://", adapter)

        def fetch(name: str) -> tuple[str, str]:
            r = session.get(f"http://127.0.0.1:{port}/{name}", timeout=30)
            r.raise_for_status()
            return name, hashlib.sha256(r.content).hexdigest()

        gs = [gonet.go(fetch, name) for _ in range(3) for name in digests]
        got = dict(g.join() for g in gs)
        session.close()
        return got

    assert gonet.run(main) == digests


def test_http_client_concurrent_and_by_hostname(patched: None,
                                                site: tuple[int, dict[str, str]]) -> None:
    port, digests = site

    def fetch(name: str, host: str) -> tuple[str, str]:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            conn.request("GET", f"/{name}")
            resp = conn.getresponse()
            assert resp.status == 200
            return name, hashlib.sha256(resp.read()).hexdigest()
        finally:
            conn.close()

    def main() -> dict[str, str]:
        # "localhost" goes through the patched getaddrinfo (a blocking() hop), the
        # numeric host does not.
        gs = [gonet.go(fetch, name, "localhost" if i % 2 else "127.0.0.1")
              for i, name in enumerate(digests)]
        return dict(g.join() for g in gs)

    assert gonet.run(main) == digests


@pytest.mark.timeout(60)
@pytest.mark.parametrize("workers", [2, 64])
def test_http_client_by_hostname_repeated(patched: None, site: tuple[int, dict[str, str]],
                                          workers: int) -> None:
    """Rounds of the by-hostname fetches with few and many blocking() workers (issue: a
    goroutine parked in the worker pool's own lock lost its lookup's outcome)."""
    port, digests = site
    old = gonet.set_max_blocking(workers)

    def fetch(name: str) -> tuple[str, str]:
        conn = http.client.HTTPConnection("localhost", port, timeout=30)
        try:
            conn.request("GET", f"/{name}")
            return name, hashlib.sha256(conn.getresponse().read()).hexdigest()
        finally:
            conn.close()

    def main() -> dict[str, str]:
        gs = [gonet.go(fetch, name) for name in digests]
        return dict(g.join() for g in gs)

    try:
        for _ in range(3):
            assert gonet.run(main) == digests
    finally:
        gonet.set_max_blocking(old)


def test_timeouts_are_honoured_while_others_run(patched: None) -> None:
    ln, port = _stalling_listener()

    def main() -> tuple[float, float, int]:
        ticks: list[float] = []
        stop: list[bool] = []

        def tick() -> None:
            while not stop:
                time.sleep(0.02)
                ticks.append(time.monotonic())

        tg = gonet.go(tick)
        try:
            t0 = time.monotonic()
            with pytest.raises(requests.exceptions.ReadTimeout):
                requests.get(f"http://127.0.0.1:{port}/", timeout=(5, 0.3))
            t_requests = time.monotonic() - t0
            t0 = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.3)
            with pytest.raises(TimeoutError):
                conn.request("GET", "/")
                conn.getresponse()
            conn.close()
            t_client = time.monotonic() - t0
        finally:
            stop.append(True)
            tg.join()
        return t_requests, t_client, len(ticks)

    try:
        t_requests, t_client, ticks = gonet.run(main)
    finally:
        ln.close()
    assert 0.25 <= t_requests < 3
    assert 0.25 <= t_client < 3
    assert ticks >= 10  # 0.6 s of waiting: the ticker kept running


def test_outside_a_runtime_requests_still_works(patched: None,
                                                 site: tuple[int, dict[str, str]]) -> None:
    port, digests = site
    r = requests.get(f"http://127.0.0.1:{port}/f0.txt", timeout=30)
    assert hashlib.sha256(r.content).hexdigest() == digests["f0.txt"]


def test_digests_fixture_is_not_trivial(site: tuple[int, dict[str, str]]) -> None:
    _, digests = site
    assert len(set(digests.values())) == N_FILES
