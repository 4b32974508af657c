"""park_callgrind: user-space instructions of spawn + park and of wake-all, phase by phase.

    python bench/park_callgrind.py [--n 100000]

``chan_bench.py``'s park workload (each goroutine sends on a buffered channel,
then parks receiving from a gate that is closed later) runs once under
``valgrind --tool=callgrind --dump-before=os_getppid``; the workload calls
``os.getppid()`` between its phases, so callgrind writes one profile per
phase and start-up, spawn + park, and wake-all are counted apart. Prints one
JSON line: the instructions of each phase and the full GC collections the
workload saw (``gc.get_stats()``, after its own initial ``gc.collect()``).
Runs the compiled build unless ``GONET_PURE_PYTHON=1`` is set. Needs valgrind.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callgrind_out import total_instructions

WORKLOAD = r'''
import gc, json, os, sys
import gonet

n = int(sys.argv[1])


def waiter(parked, gate, done):
    parked.send(None)
    gate.recv_ok()
    done.send(None)


def main():
    parked = gonet.Chan(n)
    gate = gonet.Chan()
    done = gonet.Chan(n)
    gc.collect()
    full0 = gc.get_stats()[2]["collections"]
    os.getppid()  # marker: spawn + park starts
    gs = [gonet.go(waiter, parked, gate, done) for _ in range(n)]
    for _ in range(n):
        parked.recv()
    gonet.gosched()  # the last ones reach gate.recv_ok()
    os.getppid()  # marker: wake-all starts
    gate.close()
    for _ in range(n):
        done.recv()
    os.getppid()  # marker: the end
    assert all(g.done() for g in gs)
    print(json.dumps({"compiled": gonet.COMPILED,
                      "full_collections": gc.get_stats()[2]["collections"] - full0}))


gonet.run(main)
'''


def main(argv: list[str] | None = None) -> int:
    """main runs the workload under callgrind and prints the instructions of each phase."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=100_000, help="goroutines (default 100,000)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gonet-park-cg-") as tmp:
        script = Path(tmp) / "park_workload.py"
        script.write_text(WORKLOAD)
        out = Path(tmp) / "cg.out"
        r = subprocess.run(["valgrind", "--tool=callgrind", "--dump-before=os_getppid",
                            f"--callgrind-out-file={out}", sys.executable, str(script),
                            str(a.n)],
                           capture_output=True, text=True, timeout=1800, check=True)
        stats = json.loads(r.stdout.strip().splitlines()[-1])
        # Dumps .1, .2, .3 are taken before each marker: start-up, spawn + park, wake-all.
        phases = [total_instructions(Path(f"{out}.{i}")) for i in (1, 2, 3)]
    print(json.dumps({"n": a.n, **stats, "startup_instructions": phases[0],
                      "spawn_park_instructions": phases[1], "wake_all_instructions": phases[2]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
