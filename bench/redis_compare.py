"""Issue 9's redis speed target: gonet.patch() vs redis.asyncio on uvloop vs gevent.

Starts a throw-away ``redis-server`` (pinned to one CPU with ``taskset``
when available, the client to another), runs each contender in its own
process, prints one line per contender and the ratios. Target: gonet ≥ 1.0x
redis.asyncio on uvloop and ≥ 1.5x gevent-patched redis-py. Run from the
checkout's virtualenv::

    .venv/bin/python bench/redis_compare.py --seconds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONTENDERS = ["redis_gonet.py", "redis_asyncio_uvloop.py", "redis_gevent.py"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pin(cpu: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(cpu)]
    return []


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--workers", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3,
                   help="interleaved rounds; the median of each contender is reported")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and client to CPUs")
    args = p.parse_args()
    pin = (lambda cpu: []) if args.no_pin else _pin
    exe = shutil.which("redis-server")
    if exe is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    d = tempfile.mkdtemp(prefix="grb", dir="/tmp")
    port = _free_port()
    server = subprocess.Popen([*pin(0), exe, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", d],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("redis-server did not start")
                time.sleep(0.05)
        runs: dict[str, list[dict[str, object]]] = {c: [] for c in CONTENDERS}
        for _ in range(args.rounds):
            for script in CONTENDERS:
                cmd = [*pin(1), sys.executable, os.path.join(HERE, script), "--port", str(port),
                       "--seconds", str(args.seconds), "--warmup", str(args.warmup),
                       "--workers", str(args.workers)]
                proc = subprocess.run(cmd, capture_output=True, text=True,
                                      timeout=args.seconds * 10 + 60)
                if proc.returncode != 0:
                    print(f"{script}: failed\n{proc.stderr[-2000:]}")
                    continue
                runs[script].append(json.loads(proc.stdout.strip().splitlines()[-1]))
        results = {}
        for script, rs in runs.items():
            if not rs:
                continue
            rs.sort(key=lambda r: float(r["ops_per_s"]))  # type: ignore[arg-type]
            r = results[script] = rs[len(rs) // 2]
            each = ", ".join(f"{float(x['ops_per_s']):.0f}" for x in rs)  # type: ignore[arg-type]
            cpus = sorted(float(x["ops_per_cpu_s"]) for x in rs)  # type: ignore[arg-type]
            print(f"{r['name']:28s} {float(r['ops_per_s']):10.0f} GET/s (median; rounds: {each}); "
                  f"{cpus[len(cpus) // 2]:.0f} GET per client CPU-second")
            r["cpu_median"] = cpus[len(cpus) // 2]
        g = results.get("redis_gonet.py")
        if g:
            for script, label, target in (("redis_asyncio_uvloop.py", "uvloop", 1.0),
                                          ("redis_gevent.py", "gevent", 1.5)):
                if script in results:
                    ratio = float(g["ops_per_s"]) / float(results[script]["ops_per_s"])  # type: ignore[arg-type]
                    verdict = "meets" if ratio >= target else "misses"
                    cpu_ratio = float(g["cpu_median"]) / float(results[script]["cpu_median"])  # type: ignore[arg-type]
                    print(f"gonet / {label}: {ratio:.2f}x GET/s ({verdict} the {target}x target), "
                          f"{cpu_ratio:.2f}x GET per CPU-second")
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
