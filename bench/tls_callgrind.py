"""tls_callgrind: user-space instructions per TLS echo round trip, from two callgrind runs.

    python bench/tls_callgrind.py [--servers tls_gonet,tls_gevent] [--size 16384]
                                  [--short 2] [--long 10] [--top 8] [--keep DIR]

CPU time per round trip drifts with the machine's load; instruction counts do
not. Each server runs under ``valgrind --tool=callgrind`` twice, driven by
``tls_loadgen`` (50 connections) for a short and a long window; the difference
of the two totals over the difference of the round trips served
(``round_trips_total``: the handshakes and the start-up cancel out; one
certificate made up front for all runs, as key generation is random work) is the
cost of one round trip, with the functions that make it up. Kernel work (the socket
calls) is not counted: see ``perf``/``strace -c`` for that. ``--keep DIR`` keeps the
callgrind files (``<server>.short``/``.long``) for ``callgrind_annotate --tree=caller``,
e.g. to see who calls ``memcpy``. Needs valgrind.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callgrind_out import functions, total_instructions
from suite import SERVERS_DIR, BenchError
from tls_bench import TLS_SERVERS, ensure_tls_loadgen


def run(spec_argv: list[str], loadgen: Path, size: int, seconds: float,
        out: Path) -> tuple[int, int]:
    """Serve one loadgen run under callgrind; return (instructions, round trips served)."""
    srv = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            *spec_argv], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
    try:
        assert srv.stdout is not None
        line = srv.stdout.readline()
        if not line.startswith("READY"):
            raise BenchError(f"server did not start: {line!r}")
        port = line.split()[1]
        lg = subprocess.run([str(loadgen), "--port", port, "--conns", "50", "--size", str(size),
                             "--duration", str(seconds), "--warmup", "1",
                             "--connect-timeout", "120"],
                            capture_output=True, text=True, check=True, timeout=seconds + 200)
    finally:
        srv.terminate()
        srv.wait(timeout=60)
    result = json.loads(lg.stdout.strip().splitlines()[-1])
    total = total_instructions(out)
    return total, int(result["round_trips_total"])


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--servers", default="tls_gonet,tls_gevent")
    p.add_argument("--size", type=int, default=16384)
    p.add_argument("--short", type=float, default=2.0)
    p.add_argument("--long", type=float, default=10.0)
    p.add_argument("--top", type=int, default=8)
    p.add_argument("--keep", type=Path, default=None, help="keep the callgrind files here")
    args = p.parse_args(argv)
    if not shutil.which("valgrind"):
        raise BenchError("valgrind not found")
    loadgen = ensure_tls_loadgen()
    specs = {s.name: s for s in TLS_SERVERS}
    sys.path.insert(0, str(SERVERS_DIR))
    from tls_common import throwaway_cert

    certfile, keyfile = throwaway_cert()
    with tempfile.TemporaryDirectory(prefix="tls-callgrind-") as tmpdir:
        tmp = args.keep or Path(tmpdir)
        tmp.mkdir(parents=True, exist_ok=True)
        for name in args.servers.split(","):
            spec = specs[name]
            spec_argv = [sys.executable, str(SERVERS_DIR / spec.script), *spec.args,
                         "--certfile", certfile, "--keyfile", keyfile]
            a, b = Path(tmp, f"{name}.short"), Path(tmp, f"{name}.long")
            ia, ra = run(spec_argv, loadgen, args.size, args.short, a)
            ib, rb = run(spec_argv, loadgen, args.size, args.long, b)
            if rb <= ra:
                raise BenchError(f"{name}: the long run served no more round trips")
            per = (ib - ia) / (rb - ra)
            print(f"{name}: {per / 1e3:.1f} k instructions per {args.size} B round trip "
                  f"({rb - ra} round trips)")
            fa, fb = functions(a), functions(b)
            top = sorted(((fb[k] - fa.get(k, 0)) / (rb - ra), k) for k in fb)[::-1]
            for cost, fn in top[:args.top]:
                print(f"  {cost / 1e3:8.1f} k  {fn[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
