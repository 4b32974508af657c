"""The gonet pytest plugin: leak checks around every test.

Opt-in, never loaded just because gonet is installed (an unrelated suite
that caches a socket or a database connection in a module global must not
start failing): load it with ``pytest -p gonet.testing.pytest_plugin`` or
``pytest_plugins = ["gonet.testing.pytest_plugin"]`` in a ``conftest.py``
(gonet's own ``tests/conftest.py`` does). Around every test it checks:

* **file descriptors**: the process holds no descriptor the test opened;
* **goroutines, pollDescs and timers**: whenever a gonet runtime's main
  goroutine returns during the test, nothing else is left alive, registered
  with the netpoller or pending on the timer heap. (``run()`` would stop and
  close them all anyway; a test that leaves them relies on that clean-up
  instead of stopping what it started.) Goroutines that are merely on their
  way out — runnable, or woken by I/O already in flight — get to finish first.

``@pytest.mark.no_fd_leakcheck`` and ``@pytest.mark.leaves_goroutines``
(for tests of ``run()``'s own clean-up) opt out.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .._runtime import proc
from .._runtime.debug import format_goroutines
from .._runtime.g import current_sched
from .._runtime.gstatus import DEAD
from .leakcheck import open_fds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "no_fd_leakcheck: skip gonet's descriptor-leak check")
    config.addinivalue_line(
        "markers", "leaves_goroutines: the test relies on run() stopping its goroutines")


def _runtime_leaks(rt: Any) -> str:
    """Describe what is still alive when main has returned (after letting it settle)."""
    rt.settle()
    main = rt.main
    alive = [g for g in rt.allgs.values() if g is not main and g.status != DEAD]
    # Borrowed descriptors (gonet.patch's sockets of a pool) outlive run() by design.
    pds = [pd for pd in rt.netpoll.registered() if not getattr(pd.user, "borrowed", False)]
    timers = rt.timers.live
    problems = []
    if alive:
        problems.append(f"{len(alive)} goroutine(s) still alive:\n{format_goroutines(rt)}")
    if pds:
        problems.append(f"{len(pds)} descriptor(s) still registered with the netpoller: "
                        + ", ".join(repr(pd.user or pd) for pd in pds))
    if timers:
        problems.append(f"{timers} timer(s) still pending")
    return "\n".join(problems)


@pytest.fixture(autouse=True)
def _gonet_runtime_leakcheck(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("leaves_goroutines"):
        yield
        return
    found: list[str] = []

    def hook(rt: Any) -> None:
        problems = _runtime_leaks(rt)
        if problems:
            found.append(problems)

    proc.MAIN_RETURN_HOOKS.append(hook)
    try:
        yield
    finally:
        proc.MAIN_RETURN_HOOKS.remove(hook)
    if found:
        pytest.fail("the test's main goroutine returned and left behind:\n" + "\n\n".join(found),
                    pytrace=False)


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
