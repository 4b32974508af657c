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
    kind: str  # "echo", "idle", "http", or a kind registered with measure.register_kind
    conns: int = 50
    size: int = 64
    depth: int = 1
    idle_n: int = 0
    baseline: str = ""  # server the ratios refer to here ("": the run's --baseline)
    scheme: str = "http"  # http workloads: "https" for TLS rows
    path: str = "/"


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class ServerSpec:
    name: str
    description: str
    kind: str  # "python" (a script here), "go" (a program here) or "cmd" (any command)
    script: str = ""
    args: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()  # Python modules the server needs
    only: tuple[str, ...] = ()  # run in these workloads only (empty: every echo/idle one)
    # Extra arguments that make an echo server speak HTTP in every http workload; None: it
    # cannot.  (Servers written for HTTP only list their workloads in `only` instead.)
    http_args: tuple[str, ...] | None = None
    go_prog: str = "go_echo"  # kind "go": the program under servers/ (built to build/NAME)
    # kind "cmd": the command; {python} {bin} (the interpreter's directory) {host} {port}
    # {servers} {backlog} {certfile} {keyfile} are filled in.  The runner picks the port
    # and waits until it accepts (no READY line needed).
    cmd: tuple[str, ...] = ()
    pip: tuple[str, ...] = ()  # installed with pip when `modules` are missing (if allowed)
    pip_flags: tuple[str, ...] = ()  # e.g. --no-deps for a peer whose pins cannot install
    apt: tuple[str, ...] = ()  # Debian packages pip needs to build it (installed first)
    # How Runner.server warms it before it is measured (measure.warm_up): "plain", "tls"
    # (the same exchange inside TLS), or "none" (not a subject: redis-server for the clients).
    warm: str = "plain"

    def runs(self, w: Workload) -> bool:
        if self.only:
            return w.name in self.only
        if w.kind == "http":
            return self.http_args is not None
        return w.kind in ("echo", "idle")


SERVERS: list[ServerSpec] = [
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
]



# --------------------------------------------------------------------------- HTTP peers

# GET / -> 13-byte "Hello, World!", keep-alive, one process on CPU 0 (bench/README.md,
# "HTTP", has each peer's fairness settings and why).
HTTP_HELLO = ("http_c50", "http_c1000")
HTTP_FLASK = ("flask_c50",)
_PEERS = "http_wsgi_peers.py"
_GRANIAN = ("{bin}/granian", "--interface", "wsgi", "--host", "{host}", "--port", "{port}",
            "--working-dir", "{servers}", "--workers", "1", "--runtime-mode", "st",
            "--runtime-threads", "1", "--blocking-threads", "1", "--http", "1", "--no-ws",
            "--backlog", "{backlog}", "--backpressure", "{backlog}", "--log-level", "warning",
            "--no-access-log")
_GUNICORN = ("{bin}/gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "10000",
             "--backlog", "{backlog}", "--keep-alive", "60", "--bind", "{host}:{port}",
             "--chdir", "{servers}", "--log-level", "warning")

SERVERS += [
    ServerSpec("gonet_http", "gonet.http, native handler(w, r)", "python", "http_gonet.py",
               ("--api", "native"), ("gonet", "gonet.http"), only=HTTP_HELLO),
    ServerSpec("gonet_wsgi", "gonet.http, WSGI", "python", "http_gonet.py", ("--api", "wsgi"),
               ("gonet", "gonet.http"), only=HTTP_HELLO),
    ServerSpec("go_http", "Go net/http, GOMAXPROCS=1 (reference)", "go", go_prog="go_http",
               only=HTTP_HELLO),
    ServerSpec("bjoern", "bjoern (C, libev), WSGI", "python", _PEERS, ("--server", "bjoern"),
               ("bjoern",), only=HTTP_HELLO, pip=("bjoern",), apt=("libev-dev",)),
    ServerSpec("granian_wsgi", "granian (Rust) WSGI, 1 worker, 1+1 threads", "cmd",
               cmd=(*_GRANIAN, "http_apps:hello"), modules=("granian",), only=HTTP_HELLO),
    ServerSpec("socketify_wsgi", "socketify (uWebSockets) WSGI", "python", "http_socketify.py",
               modules=("socketify",), only=HTTP_HELLO),
    # meinheld 1.0.2 pins greenlet<0.5, which does not build on Python >= 3.10; it builds
    # and runs against the installed greenlet 3 when installed without its pins.
    ServerSpec("meinheld", "meinheld (C, picoev) WSGI, keep-alive on", "python", _PEERS,
               ("--server", "meinheld"), ("meinheld",), only=HTTP_HELLO, pip=("meinheld",),
               pip_flags=("--no-deps", "--no-build-isolation")),
    ServerSpec("uvicorn", "uvicorn + httptools + uvloop, raw ASGI", "python", "http_uvicorn.py",
               modules=("uvicorn", "httptools", "uvloop"), only=HTTP_HELLO),
    ServerSpec("waitress", "waitress WSGI, 4 threads, limit 10,000", "python", _PEERS,
               ("--server", "waitress", "--threads", "4"), ("waitress",), only=HTTP_HELLO),
    ServerSpec("gevent_pywsgi", "gevent.pywsgi, TCP_NODELAY", "python", _PEERS,
               ("--server", "gevent"), ("gevent",), only=HTTP_HELLO),
    ServerSpec("gunicorn_gevent", "gunicorn -k gevent, 1 worker", "cmd",
               cmd=(*_GUNICORN, "http_apps:hello"), modules=("gunicorn", "gevent"),
               only=HTTP_HELLO),
    # The Flask row: the same minimal Flask app on three servers.
    ServerSpec("gonet_flask", "Flask on gonet.http WSGI", "python", "http_gonet.py",
               ("--api", "wsgi", "--app", "flask"), ("gonet", "gonet.http", "flask"),
               only=HTTP_FLASK),
    ServerSpec("granian_flask", "Flask on granian WSGI", "cmd", cmd=(*_GRANIAN, "http_apps:flask"),
               modules=("granian", "flask"), only=HTTP_FLASK),
    ServerSpec("gunicorn_gevent_flask", "Flask on gunicorn -k gevent", "cmd",
               cmd=(*_GUNICORN, "http_apps:flask"), modules=("gunicorn", "gevent", "flask"),
               only=HTTP_FLASK),
]

# Targets (issue 8), reported as ratios of requests/s in the same run:
# (workload, gonet server, peer, at least).
TARGETS: list[tuple[str, str, str, float]] = [
    *[(w, g, peer, x) for w in HTTP_HELLO for g in ("gonet_http", "gonet_wsgi")
      for peer, x in (("granian_wsgi", 1.2), ("uvicorn", 2.5), ("gevent_pywsgi", 6.0),
                      ("bjoern", 0.8))],
    ("flask_c50", "gonet_flask", "granian_flask", 1.2),
    ("flask_c50", "gonet_flask", "gunicorn_gevent_flask", 1.5),
]


# --------------------------------------------------------------------------- workload table

# Extension point: rows that other work adds (TLS, redis).  A workload is one entry here
# (a Workload, and whether the default suite runs it); its servers go in SERVERS with
# `only=(workload name,)`.  A workload of a new kind also needs its run function and
# metrics: measure.register_kind(kind, run, metrics) (see bench/README.md, "Adding a
# workload").  Example, a TLS row measured with wrk like the HTTP ones:
#   EXTRA_WORKLOADS.append((Workload("https_c50", "HTTPS hello, 50 conns (wrk)", "http", 50,
#                                    scheme="https", baseline="gonet_tls"), True))
#   SERVERS.append(ServerSpec("gonet_tls", "gonet.tls + gonet.http", "python",
#                  "tls_gonet_http.py", ("--certfile", "{certfile}", "--keyfile", "{keyfile}"),
#                  ("gonet",), only=("https_c50",)))
EXTRA_WORKLOADS: list[tuple[Workload, bool]] = []
# Modules beside run.py that register a kind of workload (measure.register_kind) when
# imported; run.py imports each.  "httpload" is the http kind, "suite_tls" the TLS echo
# rows, "suite_redis" the redis client rows (issue 9) and "suite_chan" the goroutine and
# channel rows (issue 7).  A module may also define add_arguments(parser) (its flags)
# and configure(args) (called once they are parsed, before the workloads are made).
KIND_MODULES: list[str] = ["httpload", "suite_tls", "suite_redis", "suite_chan"]
# Names that stand for several workloads in --workloads ("chan": suite_chan.py's rows).
WORKLOAD_GROUPS: dict[str, tuple[str, ...]] = {}


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
    w += [
        Workload("http_c50", "HTTP hello world, keep-alive, 50 connections (wrk)", "http", 50,
                 baseline="gonet_wsgi"),
        Workload("http_c1000", "HTTP hello world, keep-alive, 1,000 connections (wrk)", "http",
                 1000, baseline="gonet_wsgi"),
        Workload("flask_c50", "Flask hello world, keep-alive, 50 connections (wrk)", "http", 50,
                 baseline="gonet_flask"),
        *(x for x, _ in EXTRA_WORKLOADS),
    ]
    return {x.name: x for x in w}


def default_workloads() -> tuple[str, ...]:
    """The workloads a plain run measures: all, with the idle ones only when their N > 0."""
    return ("echo64_c50", "echo64_c1000", "echo16k_c50", "idle", "idle_max", *HTTP_HELLO,
            *HTTP_FLASK, *(x.name for x, default in EXTRA_WORKLOADS if default))


def server_names() -> tuple[str, ...]:
    return tuple(s.name for s in SERVERS)
