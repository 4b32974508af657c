"""suite_redis: issue 9's redis rows in the suite (the clients: bench/redis_*.py).

The subject here is a client: a ``GET`` loop from 100 workers (goroutines under
``gonet.patch()``, asyncio tasks on uvloop, gevent greenlets) through redis-py,
against one throw-away ``redis-server``. The gonet.patch work writes the clients
(``redis_gonet.py``, ``redis_asyncio_uvloop.py``, ``redis_gevent.py``, each prints
one JSON line with ``ops_per_s``); this module registers them: a kind ``redis``
whose run starts ``redis-server`` fresh and pinned to the server CPU, runs the
client pinned to the load CPU for the window, and reports GETs/s, GETs per client
CPU-second and the client's CPU share. A client whose script or modules are
missing is skipped with the reason, like any server.

Every client figure is over the measured window (the client reports its own user
and system CPU there, ``redis_common.Window``); the client process's lifetime
(start-up, warm-up, exit) is reported beside it as ``client process s``, since a
share over the lifetime mixes the window with start-up I/O and exit. The server's
cost is per GET over the whole run: its CPU time over the GETs it served
(``INFO commandstats``), which shows how well a client's requests let redis-server
batch its work (one wake-up per request costs it more than one per burst).
"""

import re
import shutil
import socket
import tempfile

from measure import Runner, register_kind, run_client
from procs import CLK_TCK, cpu_stat, other_load
from report import Metric
from suite import (
    EXTRA_WORKLOADS,
    LOAD_CPU,
    NOISE_PCT,
    SERVER_CPU,
    SERVERS,
    SERVERS_DIR,
    BenchError,
    Json,
    ServerSpec,
    Workload,
)

REDIS_WORKLOADS = ("redis_get_w100",)
REDIS_METRICS = (
    Metric("rps", "GETs/s", "si"),
    Metric("ops_per_cpu_s", "GETs per client CPU-s", "si"),
    Metric("user_us", "client user µs/GET", "f1"),
    Metric("sys_us", "client sys µs/GET", "f1"),
    Metric("client_cpu", "client CPU % (window)", "pct", ratio=False),
    Metric("process_s", "client process s", "f2", ratio=False),
    Metric("server_us", "redis-server µs/GET", "f1"),
)


def _redis_server(tmp: str) -> ServerSpec:
    # Not a subject (the clients are; they warm up themselves with --warmup): not warmed.
    return ServerSpec("redis-server", "redis-server, no persistence", "cmd",
                      cmd=("redis-server", "--port", "{port}", "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no", "--dir", tmp), warm="none")


def _bulk_size(buf: bytes) -> int:
    head = buf.partition(b"\r\n")[0]
    if not head.startswith(b"$"):
        raise BenchError(f"redis INFO: unexpected reply {head[:80]!r}")
    return int(head[1:])


def redis_commands(port: int) -> dict[str, int]:
    """redis_commands reads the server's per-command call counts (``INFO commandstats``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"INFO commandstats\r\n")  # an inline command: no client library needed
        buf = b""
        while b"\r\n" not in buf or len(buf.partition(b"\r\n")[2]) < _bulk_size(buf):
            chunk = s.recv(65536)
            if not chunk:
                raise BenchError("redis INFO: connection closed")
            buf += chunk
        body = buf.partition(b"\r\n")[2]
    return {m[0]: int(m[1]) for m in re.findall(r"cmdstat_([\w|]+):calls=(\d+)", body.decode())}


def run_redis(r: Runner, spec: ServerSpec, w: Workload, tag: str) -> Json:
    """run_redis: one measured client run against a fresh redis-server."""
    if not shutil.which("redis-server"):
        raise BenchError("redis-server is not installed (apt-get install redis-server)")
    script = SERVERS_DIR / spec.script  # the clients sit in bench/, beside this file
    with tempfile.TemporaryDirectory(prefix="gonet-bench-redis-") as tmp, \
            r.server(_redis_server(tmp), f"redis-server-{tag}") as (pid, port):
        from httpload import tree_cpu_ticks

        argv = [r.python, str(script), "--port", str(port), "--seconds", str(r.seconds),
                "--warmup", str(r.warmup), "--workers", str(w.conns)]
        cpu0, st0, cmd0 = tree_cpu_ticks(pid), cpu_stat(), redis_commands(port)
        out = run_client(r, argv, LOAD_CPU, timeout=r.seconds + r.warmup + 120)
        cpu1, st1, cmd1 = tree_cpu_ticks(pid), cpu_stat(), redis_commands(port)
    wall = max(float(out["wall_s"]), 1e-9)
    client_s = float(out["client_user_s"]) + float(out["client_sys_s"])
    server_ticks = (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1])
    # Every command the client sent (ours, INFO, excluded): the clients must do the same work.
    cmds = {k: cmd1[k] - cmd0.get(k, 0) for k in cmd1 if k != "info" and cmd1[k] != cmd0.get(k, 0)}
    gets = max(cmds.get("get", 0), 1)
    ops, seconds = max(int(out["ops"]), 1), max(float(out["seconds"]), 1e-9)
    other0 = other_load(st0, st1, SERVER_CPU, server_ticks, wall)
    other1 = other_load(st0, st1, LOAD_CPU, client_s * CLK_TCK, wall)
    out.update(rps=float(out["ops_per_s"]), errors=int(out.get("errors", 0)),
               user_us=float(out["user_s"]) / ops * 1e6, sys_us=float(out["sys_s"]) / ops * 1e6,
               client_cpu=float(out["cpu_s"]) / seconds * 100, process_s=wall,
               process_cpu=client_s / wall * 100,
               server_us=server_ticks / CLK_TCK / gets * 1e6,
               server_cpu=server_ticks / CLK_TCK / wall * 100, commands=cmds,
               other_cpu=[round(other0, 1), round(other1, 1)] if r.pin else None,
               noisy=r.pin and max(other0, other1) > NOISE_PCT)
    return out


register_kind("redis", run_redis, REDIS_METRICS)
EXTRA_WORKLOADS.append((Workload("redis_get_w100", "redis GET loop, 100 workers (the client "
                                 "is measured)", "redis", 100, baseline="redis_gonet"), True))
SERVERS.extend([
    ServerSpec("redis_gonet", "redis-py under gonet.patch(), 100 goroutines", "python",
               "../redis_gonet.py", modules=("gonet", "redis"),
               only=REDIS_WORKLOADS),
    ServerSpec("redis_asyncio_uvloop", "redis.asyncio on uvloop, 100 tasks", "python",
               "../redis_asyncio_uvloop.py", modules=("redis", "uvloop"), only=REDIS_WORKLOADS),
    ServerSpec("redis_gevent", "redis-py, gevent-patched, 100 greenlets", "python",
               "../redis_gevent.py", modules=("redis", "gevent"), only=REDIS_WORKLOADS),
])
