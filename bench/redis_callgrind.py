"""redis_callgrind: user-space instructions per redis ``GET`` of each client, from two callgrind runs.

    python bench/redis_callgrind.py [--clients gonet,asyncio_uvloop,gevent]
                                    [--short 2000] [--long 6000] [--top 12]

GETs per second drift with the machine's load; instruction counts do not. Each
client (the loop of ``redis_common.py``: 100 workers, one pool, one key) runs
under ``valgrind --tool=callgrind`` twice, for a short and a long fixed number of
GETs, against one throw-away ``redis-server``; the difference of the two totals
over the difference of the GETs is the client's cost of one GET (start-up,
imports and connecting cancel out), with the functions that make it up. Kernel
work (the socket calls) is not counted. Needs valgrind and redis-server.

``--client NAME --port P --gets N`` is the measured child (one client, N GETs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callgrind_out import functions, total_instructions
from redis_common import KEY, VALUE, WORKERS

CLIENTS = ("gonet", "asyncio_uvloop", "gevent")
#: Connecting 100 connections under valgrind can take longer than redis-py's 5 s
#: default; the GETs keep the default socket_timeout (5 s), as in redis_*.py.
SLOW_CONNECT = 120.0


def _per_worker(gets: int, workers: int) -> list[int]:
    return [gets // workers + (1 if i < gets % workers else 0) for i in range(workers)]


def client_gonet(port: int, gets: int, workers: int) -> None:
    """client_gonet: redis-py under gonet.patch(), one goroutine per worker."""
    import gonet

    gonet.patch()
    import redis

    pool = redis.ConnectionPool(host="127.0.0.1", port=port, max_connections=workers,
                                socket_connect_timeout=SLOW_CONNECT)
    client = redis.Redis(connection_pool=pool)

    def worker(n: int) -> None:
        get = client.get
        for _ in range(n):
            if get(KEY) != VALUE:
                raise AssertionError("wrong value")

    def main() -> None:
        client.set(KEY, VALUE)
        gs = [gonet.go(worker, n) for n in _per_worker(gets, workers)]
        for g in gs:
            g.join()

    gonet.run(main)
    pool.disconnect()


def client_asyncio_uvloop(port: int, gets: int, workers: int) -> None:
    """client_asyncio_uvloop: redis.asyncio on uvloop, one task per worker."""
    import asyncio

    import redis.asyncio as aredis
    import uvloop

    async def amain() -> None:
        client = aredis.Redis(connection_pool=aredis.ConnectionPool(
            host="127.0.0.1", port=port, max_connections=workers,
            socket_connect_timeout=SLOW_CONNECT))
        await client.set(KEY, VALUE)

        async def worker(n: int) -> None:
            get = client.get
            for _ in range(n):
                if await get(KEY) != VALUE:
                    raise AssertionError("wrong value")

        await asyncio.gather(*(worker(n) for n in _per_worker(gets, workers)))
        await client.aclose()

    uvloop.run(amain())


def client_gevent(port: int, gets: int, workers: int) -> None:
    """client_gevent: redis-py under gevent.monkey.patch_all(), one greenlet per worker."""
    from gevent import monkey

    monkey.patch_all()
    import gevent
    import redis

    client = redis.Redis(connection_pool=redis.ConnectionPool(
        host="127.0.0.1", port=port, max_connections=workers,
        socket_connect_timeout=SLOW_CONNECT))
    client.set(KEY, VALUE)

    def worker(n: int) -> None:
        get = client.get
        for _ in range(n):
            if get(KEY) != VALUE:
                raise AssertionError("wrong value")

    gevent.joinall([gevent.spawn(worker, n) for n in _per_worker(gets, workers)],
                   raise_error=True)
    client.connection_pool.disconnect()


def run(name: str, port: int, gets: int, out: Path) -> int:
    """One client run under callgrind; returns its total instructions."""
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    sys.executable, __file__, "--client", name, "--port", str(port),
                    "--gets", str(gets)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=1800)
    return total_instructions(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_redis(tmp: str) -> tuple[subprocess.Popen[Any], int]:
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", tmp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clients", default=",".join(CLIENTS))
    p.add_argument("--short", type=int, default=2000)
    p.add_argument("--long", type=int, default=6000)
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--workers", type=int, default=WORKERS)
    p.add_argument("--client", choices=CLIENTS, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--gets", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.client:
        globals()[f"client_{args.client}"](args.port, args.gets, args.workers)
        return 0
    for tool in ("valgrind", "redis-server"):
        if not shutil.which(tool):
            sys.stderr.write(f"{tool} not found\n")
            return 2
    with tempfile.TemporaryDirectory(prefix="redis-callgrind-") as tmp:
        server, port = _start_redis(tmp)
        try:
            for name in args.clients.split(","):
                a, b = Path(tmp, f"{name}.short"), Path(tmp, f"{name}.long")
                ia = run(name, port, args.short, a)
                ib = run(name, port, args.long, b)
                n = args.long - args.short
                print(f"{name}: {(ib - ia) / n / 1e3:.1f} k instructions per GET "
                      f"({n} GETs; compiled={os.environ.get('GONET_PURE_PYTHON') != '1'})")
                fa, fb = functions(a), functions(b)
                top = sorted(((fb[k] - fa.get(k, 0)) / n, k) for k in fb)[::-1]
                for cost, fn in top[:args.top]:
                    print(f"  {cost / 1e3:8.2f} k  {fn[:110]}")
                sys.stdout.flush()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
