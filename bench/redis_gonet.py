"""redis-py GET loop from 100 goroutines under gonet.patch() (see redis_common.py)."""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gonet

gonet.patch()

import redis  # noqa: E402

from redis_common import KEY, VALUE, Window, parse_args, report  # noqa: E402


def main() -> None:
    args = parse_args()
    client = redis.Redis(host="127.0.0.1", port=args.port,
                         connection_pool=redis.ConnectionPool(host="127.0.0.1", port=args.port,
                                                              max_connections=args.workers))
    client.set(KEY, VALUE)
    state = {"measuring": False, "stop": False}
    counts = [0] * args.workers
    window = Window()

    def worker(i: int) -> None:
        get = client.get
        n = 0
        while not state["stop"]:
            if get(KEY) != VALUE:
                raise AssertionError("wrong value")
            if state["measuring"]:
                n += 1
        counts[i] = n

    def run() -> None:
        gs = [gonet.go(worker, i) for i in range(args.workers)]
        time.sleep(args.warmup)
        state["measuring"] = True
        window.start()
        time.sleep(args.seconds)
        state["stop"] = True
        window.stop()
        for g in gs:
            g.join()

    gonet.run(run)
    client.connection_pool.disconnect()
    report("gonet.patch + redis-py", sum(counts), window, compiled=gonet.COMPILED)


if __name__ == "__main__":
    main()
