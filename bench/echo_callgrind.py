"""echo_callgrind: user-space instructions per 64 B echo round trip, and idle memory per conn.

    python bench/echo_callgrind.py [--short 2] [--long 6] [--conns 50] [--size 64]
                                   [--idle 4000] [--top 0] [--keep DIR]

The figure of bench/README.md's "User-space µs per round trip" callgrind notes,
as ``tls_callgrind.py`` measures it for TLS: ``bench/servers/gonet_server.py``
runs under ``valgrind --tool=callgrind`` twice, driven by ``loadgen`` (50
connections, 64 B) for a short and a long window; the difference of the two
instruction totals over the difference of the round trips served cancels
start-up and connection set-up. ``--idle N`` also opens N idle connections to a
server running without valgrind and reports the RSS growth per connection
(``GONET_PURE_PYTHON=1`` in the environment measures the plain build). Needs
valgrind for the instruction count. ``--keep DIR`` keeps the two callgrind
outputs there (``short.out``, ``long.out``) for ``callgrind_annotate`` or a
function-level diff of two builds (``bench/callgrind_out.py``).
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
from tools import ensure_loadgen

SERVER = Path(__file__).resolve().parent / "servers" / "gonet_server.py"


def callgrind_run(loadgen: Path, conns: int, size: int, seconds: float,
                  out: Path) -> tuple[int, int]:
    """Serve one loadgen run under callgrind; return (instructions, round trips served)."""
    srv = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            sys.executable, str(SERVER)], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        assert srv.stdout is not None
        line = srv.stdout.readline()
        if not line.startswith("READY"):
            raise SystemExit(f"server did not start: {line!r}")
        port = line.split()[1]
        lg = subprocess.run([str(loadgen), "--port", port, "--conns", str(conns),
                             "--size", str(size), "--duration", str(seconds), "--warmup", "1",
                             "--connect-timeout", "120", "--quiet"],
                            capture_output=True, text=True, check=True, timeout=seconds + 200)
    finally:
        srv.terminate()
        srv.wait(timeout=60)
    result = json.loads(lg.stdout.strip().splitlines()[-1])
    total = total_instructions(out)
    return total, int(result["round_trips_total"])


def rss_kib(pid: int) -> int:
    """The resident set of ``pid`` in KiB."""
    for ln in Path(f"/proc/{pid}/status").read_text().splitlines():
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
    raise SystemExit("no VmRSS")


def idle_per_conn(loadgen: Path, n: int) -> float:
    """RSS growth of the server per idle connection (each pinged once, then held)."""
    srv = subprocess.Popen([sys.executable, str(SERVER)], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        assert srv.stdout is not None
        port = srv.stdout.readline().split()[1]
        before = rss_kib(srv.pid)
        lg = subprocess.Popen([str(loadgen), "--port", port, "--mode", "idle", "--conns", str(n),
                               "--size", "64", "--stdin", "--duration", "120"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert lg.stdout is not None
            for ln in lg.stdout:
                if ln.startswith("@opened"):
                    opened = int(json.loads(ln.split(None, 1)[1])["idle_open"])
                    break
            else:
                raise SystemExit("loadgen did not open its connections")
            after = rss_kib(srv.pid)
        finally:
            assert lg.stdin is not None
            lg.stdin.close()
            lg.wait(timeout=60)
    finally:
        srv.terminate()
        srv.wait(timeout=60)
    return (after - before) / max(opened, 1)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--short", type=float, default=2.0)
    p.add_argument("--long", type=float, default=6.0)
    p.add_argument("--conns", type=int, default=50)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--idle", type=int, default=0, help="also measure RSS per idle conn (N conns)")
    p.add_argument("--top", type=int, default=0, help="show the N costliest functions per rt")
    p.add_argument("--keep", type=Path, default=None,
                   help="keep the callgrind outputs in this directory (short.out, long.out)")
    args = p.parse_args(argv)
    loadgen = ensure_loadgen()
    if shutil.which("valgrind"):
        tmp = args.keep or Path(tempfile.mkdtemp(prefix="gonet-echo-cg-"))
        tmp.mkdir(parents=True, exist_ok=True)
        ir_s, rt_s = callgrind_run(loadgen, args.conns, args.size, args.short, tmp / "short.out")
        ir_l, rt_l = callgrind_run(loadgen, args.conns, args.size, args.long, tmp / "long.out")
        per = (ir_l - ir_s) / max(rt_l - rt_s, 1)
        if args.keep is not None:  # what a function-level diff of two kept runs divides by
            (tmp / "round_trips.json").write_text(json.dumps({"short": rt_s, "long": rt_l}))
        print(f"echo{args.size}_c{args.conns}: {per:,.0f} instructions per round trip "
              f"({rt_l - rt_s:,} round trips differenced)")
        if args.top:
            fs, fl = functions(tmp / "short.out"), functions(tmp / "long.out")
            rows = sorted(((fl.get(k, 0) - fs.get(k, 0)) / max(rt_l - rt_s, 1), k) for k in fl)
            for cost, name in reversed(rows[-args.top:]):
                print(f"  {cost:8,.0f}  {name[:110]}")
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("valgrind not found: no instruction count")
    if args.idle:
        print(f"idle: {idle_per_conn(loadgen, args.idle):.2f} KiB RSS per connection "
              f"({args.idle:,} conns)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
