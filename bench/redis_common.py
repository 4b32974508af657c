"""Shared pieces of the redis GET benchmarks (issue 9's speed target).

Each contender runs in its own process (``redis_gonet.py``,
``redis_asyncio_uvloop.py``, ``redis_gevent.py``): 100 concurrent workers
(goroutines, asyncio tasks, greenlets) each loop ``GET`` on one key through
one client with a 100-connection pool, for a fixed window after a warm-up,
against the same throw-away ``redis-server``. Each prints one JSON line:
``{"name", "ops", "seconds", "ops_per_s", "ops_per_cpu_s"}``. ``redis_compare.py`` starts the
server, runs the three and prints the ratios.
"""

from __future__ import annotations

import argparse
import json
import sys
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


def report(name: str, ops: int, seconds: float, cpu: float, **extra: Any) -> None:
    """report prints the result line the comparison reads.

    ``cpu`` is the client process's CPU time over the window: GETs per
    CPU-second are steadier than GETs per second on a shared machine.
    """
    out = {"name": name, "ops": ops, "seconds": seconds, "ops_per_s": ops / seconds,
           "ops_per_cpu_s": ops / cpu if cpu > 0 else 0.0, **extra}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
