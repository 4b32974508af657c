"""redis-py GET loop from 100 greenlets under gevent's monkey-patching (see redis_common.py)."""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import redis  # noqa: E402

from redis_common import KEY, VALUE, Window, parse_args, report  # noqa: E402


def main() -> None:
    args = parse_args()
    client = redis.Redis(connection_pool=redis.ConnectionPool(
        host="127.0.0.1", port=args.port, max_connections=args.workers))
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

    gs = [gevent.spawn(worker, i) for i in range(args.workers)]
    gevent.sleep(args.warmup)
    state["measuring"] = True
    window.start()
    gevent.sleep(args.seconds)
    state["stop"] = True
    window.stop()
    gevent.joinall(gs, raise_error=True)
    client.connection_pool.disconnect()
    report("gevent + redis-py", sum(counts), window)


if __name__ == "__main__":
    main()
