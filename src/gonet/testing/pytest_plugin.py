"""The gonet pytest plugin: a descriptor-leak check around every test.

Loaded through the ``pytest11`` entry point. Tests that intentionally keep
descriptors across tests can opt out with ``@pytest.mark.no_fd_leakcheck``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator

import pytest

from .._runtime.g import current_sched
from .leakcheck import open_fds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "no_fd_leakcheck: skip gonet's descriptor-leak check")


@pytest.fixture(autouse=True)
def _gonet_fd_leakcheck(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("no_fd_leakcheck"):
        yield
        return
    before = open_fds()
    yield
    assert current_sched() is None, "a gonet runtime is still running on this thread"
    leaked: set[int] = set()
    deadline = time.monotonic() + 1.0
    while True:
        leaked = open_fds() - before
        if not leaked or time.monotonic() >= deadline:
            break
        gc.collect()  # sockets dropped without close() are closed by their finalizer
        time.sleep(0.01)
    if leaked:
        import os

        desc = []
        for fd in sorted(leaked):
            try:
                desc.append(f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}")
            except OSError:
                desc.append(str(fd))
        pytest.fail(f"test leaked file descriptors: {', '.join(desc)}", pytrace=False)
