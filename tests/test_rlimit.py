"""RLIMIT_NOFILE: raised while gonet runs, the original back after run() and in forked children."""

from __future__ import annotations

import multiprocessing
import os
import resource
import subprocess
import threading
from collections.abc import Iterator

import pytest

import gonet

WAIT = 30.0
NOFILE = resource.RLIMIT_NOFILE


@pytest.fixture
def low_soft_limit() -> Iterator[tuple[int, int]]:
    """low_soft_limit sets a soft limit below the hard one for the test; yields (soft, hard)."""
    soft, hard = resource.getrlimit(NOFILE)
    low = min(1024, hard)
    if low == hard:
        pytest.skip(f"the hard RLIMIT_NOFILE ({hard}) leaves no room to raise the soft one")
    resource.setrlimit(NOFILE, (low, hard))
    try:
        yield low, hard
    finally:
        resource.setrlimit(NOFILE, (soft, hard))


def test_run_raises_the_soft_limit_and_gives_the_original_back(
        low_soft_limit: tuple[int, int]) -> None:
    low, hard = low_soft_limit
    assert gonet.run(lambda: resource.getrlimit(NOFILE)[0]) == hard
    assert resource.getrlimit(NOFILE) == (low, hard)


def test_a_limit_the_program_set_itself_is_kept(low_soft_limit: tuple[int, int]) -> None:
    low, hard = low_soft_limit
    mine = low + 1

    def main() -> None:
        resource.setrlimit(NOFILE, (mine, hard))

    gonet.run(main)
    assert resource.getrlimit(NOFILE) == (mine, hard)


def test_exec_after_fork_and_subprocess_with_preexec_fn_get_the_original(
        low_soft_limit: tuple[int, int]) -> None:
    low, hard = low_soft_limit

    def main() -> tuple[str, str, int]:
        assert resource.getrlimit(NOFILE)[0] == hard
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: exec a shell that reports its limit
            try:
                os.dup2(w, 1)
                os.execv("/bin/sh", ["sh", "-c", "ulimit -Sn"])
            finally:
                os._exit(127)
        os.close(w)
        gonet.blocking(os.waitpid, pid, 0)
        with os.fdopen(r) as f:
            forked = f.read().strip()
        out = gonet.blocking(subprocess.run, ["sh", "-c", "ulimit -Sn"], capture_output=True,
                             text=True, timeout=WAIT, check=True, preexec_fn=lambda: None)
        return forked, out.stdout.strip(), resource.getrlimit(NOFILE)[0]

    forked, spawned, during = gonet.run(main)
    assert forked == str(low)
    assert spawned == str(low)
    assert during == hard  # the parent keeps the raised limit while it runs


def _report_limit(q: multiprocessing.Queue[tuple[int, int]]) -> None:
    inside = gonet.run(lambda: resource.getrlimit(NOFILE)[0])
    q.put((resource.getrlimit(NOFILE)[0], inside))


def test_multiprocessing_child_starts_with_the_original_and_its_runtime_raises_it(
        low_soft_limit: tuple[int, int]) -> None:
    low, hard = low_soft_limit
    ctx = multiprocessing.get_context("fork")
    q: multiprocessing.Queue[tuple[int, int]] = ctx.Queue()

    def main() -> tuple[int, int]:
        p = ctx.Process(target=_report_limit, args=(q,))
        p.start()
        gonet.blocking(p.join, WAIT)
        assert p.exitcode == 0
        return gonet.blocking(q.get, timeout=WAIT)  # type: ignore[no-any-return]

    after_run_in_child, inside_child_run = gonet.run(main)
    assert inside_child_run == hard  # a gonet worker raises it again for itself
    assert after_run_in_child == low


def test_the_limit_stays_raised_until_the_last_runtime_ends(
        low_soft_limit: tuple[int, int]) -> None:
    low, hard = low_soft_limit
    started = threading.Event()
    stop = threading.Event()

    def other() -> None:
        def main() -> None:
            started.set()
            gonet.blocking(stop.wait, WAIT)

        gonet.run(main)

    t = threading.Thread(target=other)
    t.start()
    try:
        assert started.wait(WAIT)
        gonet.run(lambda: None)  # ends while the other runtime still runs
        assert resource.getrlimit(NOFILE)[0] == hard
    finally:
        stop.set()
        t.join(WAIT)
    assert resource.getrlimit(NOFILE) == (low, hard)
