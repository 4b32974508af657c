"""tls_bench: the TLS echo workloads (issue 9's speed targets), gonet.tls against its peers.

    python bench/tls_bench.py [--workloads tls_echo64_c50,tls_echo16k_c50]
                              [--servers tls_gonet,tls_uvloop_protocol,...,tls_go]
                              [--seconds S] [--warmup S] [--rounds N] [--no-pin]
                              [--cipher TLS_AES_256_GCM_SHA384]

Same method as the plain echo suite (it reuses ``measure.Runner``): each server
is started fresh, pinned to CPU 0, and driven by ``tls_loadgen`` (C, libssl,
single-threaded epoll; built into ``bench/build/`` on first use) pinned to CPU 1.
``tls_go`` (Go's crypto/tls) is built with ``go build`` like the suite's Go peers.
``--cipher`` makes the load generator offer one TLS 1.3 suite only, so that every
server negotiates it (by default Go picks AES-128-GCM, OpenSSL AES-256-GCM).
Every server uses the same ``SSLContext`` recipe (``servers/tls_common.py``),
so they differ only in their I/O model. For the suite, :data:`TLS_SERVERS` and
:data:`TLS_WORKLOADS` are the entries to register (run them with
``Runner(loadgen=ensure_tls_loadgen())``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Runner
from suite import BUILD, BenchError, ServerSpec, Workload, log
from tools import ensure_go_server

TLS_LOADGEN_SRC = Path(__file__).resolve().parent / "tls_loadgen.c"
TLS_LOADGEN_BIN = BUILD / "tls_loadgen"

TLS_WORKLOADS = {w.name: w for w in (
    Workload("tls_echo64_c50", "TLS echo 64 B, 50 connections", "echo", 50, 64),
    Workload("tls_echo16k_c50", "TLS echo 16 KiB, 50 connections", "echo", 50, 16384),
)}

# warm="tls": Runner.server's warm-up exchange runs inside a TLS session.
TLS_SERVERS = (
    ServerSpec("tls_gonet", "gonet.tls, goroutine per conn", "python", "tls_gonet_server.py",
               modules=("gonet",), warm="tls"),
    ServerSpec("tls_uvloop_protocol", "uvloop SSL transport, Protocol", "python",
               "tls_asyncio_server.py", ("--loop", "uvloop", "--api", "protocol"), ("uvloop",), warm="tls"),
    ServerSpec("tls_uvloop_streams", "uvloop SSL transport, streams", "python",
               "tls_asyncio_server.py", ("--loop", "uvloop", "--api", "streams"), ("uvloop",), warm="tls"),
    ServerSpec("tls_asyncio_protocol", "asyncio SSL transport, Protocol", "python",
               "tls_asyncio_server.py", ("--loop", "asyncio", "--api", "protocol"), warm="tls"),
    ServerSpec("tls_gevent", "gevent StreamServer, ssl_context", "python",
               "tls_gevent_server.py", modules=("gevent",), warm="tls"),
    # The ceiling: Go negotiates TLS_AES_128_GCM_SHA256 where OpenSSL picks AES-256
    # (servers/go_tls_echo/main.go); --cipher makes every server use the same suite.
    ServerSpec("tls_go", "Go crypto/tls, goroutine per conn (GOMAXPROCS=1)", "go",
               go_prog="go_tls_echo", warm="tls"),
)


def ensure_tls_loadgen() -> Path:
    """Build bench/build/tls_loadgen (needs cc and libssl-dev); again when the source is newer."""
    if (not TLS_LOADGEN_BIN.exists()
            or TLS_LOADGEN_BIN.stat().st_mtime < TLS_LOADGEN_SRC.stat().st_mtime):
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise BenchError("no C compiler (cc) found")
        BUILD.mkdir(parents=True, exist_ok=True)
        tmp = TLS_LOADGEN_BIN.with_suffix(".tmp")
        r = subprocess.run([cc, "-O2", "-Wall", "-o", str(tmp), str(TLS_LOADGEN_SRC),
                            "-lssl", "-lcrypto", "-lm"], capture_output=True, text=True,
                           check=False)
        if r.returncode != 0:
            raise BenchError(f"building tls_loadgen failed (libssl-dev?):\n{r.stderr}")
        tmp.replace(TLS_LOADGEN_BIN)
    return TLS_LOADGEN_BIN


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workloads", default=",".join(TLS_WORKLOADS))
    p.add_argument("--servers", default="tls_gonet,tls_uvloop_protocol,tls_uvloop_streams,"
                   "tls_gevent")
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--no-pin", action="store_true")
    p.add_argument("--cipher", default="", help="the one TLS 1.3 suite the client offers")
    p.add_argument("--out", default=str(BUILD / "tls_results.json"))
    args = p.parse_args(argv)
    specs = {s.name: s for s in TLS_SERVERS}
    servers = [specs[n] for n in args.servers.split(",")]
    workloads = [TLS_WORKLOADS[n] for n in args.workloads.split(",")]
    pin = not args.no_pin and bool(shutil.which("taskset")) and (os.cpu_count() or 1) >= 2
    runner = Runner(python=args.python, loadgen=ensure_tls_loadgen(), pin=pin,
                    warmup=args.warmup, seconds=args.seconds,
                    loadgen_extra=("--cipher", args.cipher) if args.cipher else ())
    for spec in [s for s in servers if s.kind == "go"]:
        binary, why = ensure_go_server(False, spec.go_prog)
        if binary is None:
            log(f"skipping {spec.name}: {why}")
            servers.remove(spec)
            continue
        runner.go_bins[spec.go_prog] = binary
    results: dict[str, dict[str, list[dict[str, object]]]] = {}
    for w in workloads:
        for rnd in range(args.rounds):
            for spec in servers:  # interleaved: A B C ... A B C
                tag = f"{w.name}-{spec.name}-{rnd}"
                try:
                    with runner.server(spec, tag) as (pid, port):
                        out = runner.echo(pid, port, w.conns, w.size, w.depth)
                except BenchError as e:
                    log(f"{tag}: {e}")
                    continue
                out.pop("loadgen", None)
                out.pop("cpu_stat_delta", None)
                results.setdefault(w.name, {}).setdefault(spec.name, []).append(out)
                log(f"{tag}: {out['rps']:,.0f} rt/s  {out['mib_s']:.1f} MiB/s  "
                    f"p99 {out['p99']:.0f} us  server cpu {out['server_cpu']:.0f}%  "
                    f"loadgen cpu {out['loadgen_cpu']:.0f}%  errors {out['errors']}"
                    f"{'  (noisy)' if out['noisy'] else ''}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"time": time.time(), "pinned": pin,
                                          "seconds": args.seconds, "cipher": args.cipher,
                                          "results": results},
                                         indent=1))
    print(table(results))
    return 0


def table(results: dict[str, dict[str, list[dict[str, object]]]]) -> str:
    """Markdown: the best round per server; ratios on throughput and on server CPU per round trip.

    On a shared machine the server rarely gets a whole CPU, so ``µs CPU/rt`` (server
    user+system CPU per round trip) is the steadier figure of the two.
    """
    lines = ["| workload | server | round trips/s | MiB/s each way | p99 µs | server CPU % "
             "| µs CPU/rt | loadgen CPU % | gonet ÷ this (rt/s) | this ÷ gonet (CPU/rt) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for wname, by_server in results.items():
        best = {s: max(runs, key=lambda x: float(x["rps"]))  # type: ignore[arg-type]
                for s, runs in by_server.items()}
        base = best.get("tls_gonet")
        for s, r in best.items():
            rps, cpu = float(r["rps"]), float(r["cpu_us"])  # type: ignore[arg-type]
            ratio = cratio = "-"
            if base is not None:
                ratio = f"{float(base['rps']) / rps:.2f}x"  # type: ignore[arg-type]
                cratio = f"{cpu / float(base['cpu_us']):.2f}x"  # type: ignore[arg-type]
            lines.append(f"| {wname} | {s} | {rps:,.0f} | {float(r['mib_s']):.1f} "  # type: ignore[arg-type]
                         f"| {float(r['p99']):.0f} | {float(r['server_cpu']):.0f} "  # type: ignore[arg-type]
                         f"| {cpu:.1f} | {float(r['loadgen_cpu']):.0f} | {ratio} | {cratio} |")  # type: ignore[arg-type]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
