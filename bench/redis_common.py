"""Shared pieces of the redis GET benchmarks (issue 9's speed target).

Each contender runs in its own process (``redis_gonet.py``,
``redis_asyncio_uvloop.py``, ``redis_gevent.py``): 100 concurrent workers
(goroutines, asyncio tasks, greenlets) each loop ``GET`` on one key through
one client with a 100-connection pool, for a fixed window after a warm-up,
against the same throw-away ``redis-server``. Each prints one JSON line:
``{"name", "ops", "seconds", "ops_per_s", "ops_per_cpu_s", "user_s", "sys_s", "cpu_s"}``,
every figure over the measured window only (:class:`Window`): the process's start-up
(imports, connecting) and exit are not the subject. ``redis_compare.py`` starts the
server, runs the three and prints the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

WORKERS = 100
KEY = "bench:key"
VALUE = b"v" * 64


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """parse_args reads ``--port``, ``--seconds``, ``--warmup``, ``--workers``."""
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--workers", type=int, default=WORKERS)
    return p.parse_args(argv)


class Window:
    """Window: the measured interval's wall time and this process's user and system CPU.

    ``start()`` and ``stop()`` bracket the window (``os.times()``: every thread of
    the process, children not included); the figures are read after ``stop()``.
    """

    def __init__(self) -> None:
        self._t0 = self._t1 = 0.0
        self._c0 = self._c1 = os.times()

    def start(self) -> None:
        """start marks the beginning of the window."""
        self._t0, self._c0 = time.monotonic(), os.times()

    def stop(self) -> None:
        """stop marks its end."""
        self._t1, self._c1 = time.monotonic(), os.times()

    @property
    def seconds(self) -> float:
        """seconds is the window's wall time."""
        return self._t1 - self._t0

    @property
    def user(self) -> float:
        """user is the process's user CPU time in the window, in seconds."""
        return self._c1.user - self._c0.user

    @property
    def sys(self) -> float:
        """sys is the process's system CPU time in the window, in seconds."""
        return self._c1.system - self._c0.system


def report(name: str, ops: int, window: Window, **extra: Any) -> None:
    """report prints the result line the comparison reads.

    GETs per CPU-second (user + system, over the window) are steadier than GETs
    per second on a shared machine; ``cpu_s / seconds`` is the client's CPU share
    in the window (a client that waits for the server stays under 100%).
    """
    cpu = window.user + window.sys
    out = {"name": name, "ops": ops, "seconds": window.seconds,
           "ops_per_s": ops / window.seconds, "ops_per_cpu_s": ops / cpu if cpu > 0 else 0.0,
           "user_s": window.user, "sys_s": window.sys, "cpu_s": cpu, **extra}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
