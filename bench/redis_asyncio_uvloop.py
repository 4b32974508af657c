"""redis.asyncio GET loop from 100 tasks on uvloop (see redis_common.py)."""

from __future__ import annotations

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import redis.asyncio as aredis
import uvloop

from redis_common import KEY, VALUE, Window, parse_args, report


async def amain() -> None:
    args = parse_args()
    client = aredis.Redis(connection_pool=aredis.ConnectionPool(
        host="127.0.0.1", port=args.port, max_connections=args.workers))
    await client.set(KEY, VALUE)
    state = {"measuring": False, "stop": False}
    counts = [0] * args.workers
    window = Window()

    async def worker(i: int) -> None:
        get = client.get
        n = 0
        while not state["stop"]:
            if await get(KEY) != VALUE:
                raise AssertionError("wrong value")
            if state["measuring"]:
                n += 1
        counts[i] = n

    tasks = [asyncio.create_task(worker(i)) for i in range(args.workers)]
    await asyncio.sleep(args.warmup)
    state["measuring"] = True
    window.start()
    await asyncio.sleep(args.seconds)
    state["stop"] = True
    window.stop()
    await asyncio.gather(*tasks)
    await client.aclose()
    report("redis.asyncio on uvloop", sum(counts), window)


if __name__ == "__main__":
    uvloop.run(amain())
