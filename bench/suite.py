"""suite: what the benchmark compares and where: paths, CPUs, the server and workload tables.

Shared by every module of the runner (``run.py`` and its siblings): the layout of
``bench/``, the CPU each side is pinned to, the share of other load that marks a
run as disturbed, the ``Json`` record type, :class:`BenchError` and :func:`log`.
"""

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BUILD = BENCH / "build"
SERVERS_DIR = BENCH / "servers"
RESULTS_DIR = BENCH / "results"
LOADGEN_SRC = BENCH / "loadgen.c"
LOADGEN_BIN = BUILD / "loadgen"
GO_SRC = SERVERS_DIR / "go_echo" / "main.go"
GO_BIN = BUILD / "go_echo"

SERVER_CPU, LOAD_CPU = "0", "1"
NOISE_PCT = 10.0  # other processes above this share of either CPU mark a run as disturbed

Json = dict[str, Any]


class BenchError(Exception):
    """A run that failed; recorded and reported, never fatal to the suite."""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    kind: str  # "echo", "idle" or "http"
    conns: int = 50
    size: int = 64
    depth: int = 1
    idle_n: int = 0


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class ServerSpec:
    name: str
    description: str
    kind: str  # "python" or "go"
    script: str = ""
    args: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()  # Python modules the server needs
    only: tuple[str, ...] = ()  # run in these workloads only (empty: all but http)
    # Extra arguments that make the server speak HTTP for the wrk workload; None: it
    # cannot.  The HTTP issue sets these (e.g. ("--http",)) as the servers learn HTTP.
    http_args: tuple[str, ...] | None = None

    def runs(self, w: Workload) -> bool:
        if w.kind == "http":
            return self.http_args is not None
        return not self.only or w.name in self.only


SERVERS: tuple[ServerSpec, ...] = (
    ServerSpec("gonet", "gonet, goroutine per conn", "python", "gonet_server.py",
               modules=("gonet",)),
    ServerSpec("uvloop_protocol", "uvloop, asyncio.Protocol callbacks", "python",
               "asyncio_server.py", ("--loop", "uvloop", "--api", "protocol"), ("uvloop",)),
    ServerSpec("uvloop_streams", "uvloop, asyncio streams", "python", "asyncio_server.py",
               ("--loop", "uvloop", "--api", "streams"), ("uvloop",)),
    ServerSpec("asyncio_protocol", "asyncio, Protocol callbacks", "python", "asyncio_server.py",
               ("--loop", "asyncio", "--api", "protocol")),
    ServerSpec("asyncio_streams", "asyncio, streams", "python", "asyncio_server.py",
               ("--loop", "asyncio", "--api", "streams")),
    ServerSpec("gevent", "gevent StreamServer", "python", "gevent_server.py",
               modules=("gevent",)),
    ServerSpec("threading", "socketserver.ThreadingTCPServer", "python",
               "threading_server.py"),
    ServerSpec("go", "Go net, GOMAXPROCS=1, 4 KiB buffer", "go"),
    # Go with a 64 KiB buffer, the size gonet's handler reads: the fair throughput peer.
    ServerSpec("go_64k", "Go net, GOMAXPROCS=1, 64 KiB buffer", "go", args=("--bufsize", "65536"),
               only=("echo16k_c50",)),
)
SERVER_NAMES = tuple(s.name for s in SERVERS)


# --------------------------------------------------------------------------- workload table


def make_workloads(idle_n: int, idle_max_n: int, idle_active: int) -> dict[str, Workload]:
    w = [
        Workload("echo64_c50", "echo 64 B, 50 connections", "echo", 50, 64),
        Workload("echo64_c1000", "echo 64 B, 1,000 connections", "echo", 1000, 64),
        Workload("echo16k_c50", "echo 16 KiB, 50 connections", "echo", 50, 16384),
    ]
    if idle_n > 0:
        w.append(Workload("idle", f"{idle_n:,} idle + {idle_active} active connections",
                          "idle", idle_active, 64, idle_n=idle_n))
    if idle_max_n > 0 and idle_max_n != idle_n:
        w.append(Workload("idle_max", f"{idle_max_n:,} idle (largest N) + {idle_active} active",
                          "idle", idle_active, 64, idle_n=idle_max_n))
    # Hook for the HTTP issue: wrk, keep-alive hello world, against servers with http=True.
    w.append(Workload("http", "HTTP hello world, keep-alive (wrk)", "http", 50))
    return {x.name: x for x in w}


DEFAULT_WORKLOADS = ("echo64_c50", "echo64_c1000", "echo16k_c50", "idle", "idle_max")
