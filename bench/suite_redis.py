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
"""

import shutil
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
    Metric("client_cpu", "client CPU %", "pct", ratio=False),
    Metric("server_cpu", "redis-server CPU %", "pct", ratio=False),
)


def _redis_server(tmp: str) -> ServerSpec:
    # Not a subject (the clients are; they warm up themselves with --warmup): not warmed.
    return ServerSpec("redis-server", "redis-server, no persistence", "cmd",
                      cmd=("redis-server", "--port", "{port}", "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no", "--dir", tmp), warm="none")


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
        cpu0, st0 = tree_cpu_ticks(pid), cpu_stat()
        out = run_client(r, argv, LOAD_CPU, timeout=r.seconds + r.warmup + 120)
        cpu1, st1 = tree_cpu_ticks(pid), cpu_stat()
    wall = max(float(out["wall_s"]), 1e-9)
    client_s = float(out["client_user_s"]) + float(out["client_sys_s"])
    server_ticks = (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1])
    other0 = other_load(st0, st1, SERVER_CPU, server_ticks, wall)
    other1 = other_load(st0, st1, LOAD_CPU, client_s * CLK_TCK, wall)
    out.update(rps=float(out["ops_per_s"]), errors=int(out.get("errors", 0)),
               client_cpu=client_s / wall * 100, server_cpu=server_ticks / CLK_TCK / wall * 100,
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
