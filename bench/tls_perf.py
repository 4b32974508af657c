"""tls_perf: kernel-counted events per TLS echo round trip (``perf stat`` on the server).

    python bench/tls_perf.py [--servers tls_gonet,tls_uvloop_protocol,tls_gevent]
                             [--size 16384] [--seconds 3] [--rounds 1] [--events EV,EV,...]
                             [--env K=V ...] [--no-pin]

Each server is started fresh (pinned as in the suite), driven by ``tls_loadgen``
(50 connections), and ``perf stat -p`` counts its events exactly over the
load generator's measured window (``@start`` .. ``@end``); the counts are then
divided by the round trips of that window. The default events are the ones
a virtual machine without a PMU still has: CPU time, page faults, context
switches, and syscall tracepoints (which syscalls, and ``brk``/``mmap``/
``madvise``: does the allocator hand memory back to the kernel and fault it
in again per record?). Hardware counters (``cycles:u``, ``instructions:u``,
``cache-misses``, ``dTLB-load-misses``) are added with ``--events`` where the
machine has them. ``--rounds N`` starts every server afresh N times, interleaved
(A B C A B C ...), one column per run: CPU per round trip spreads between fresh
processes, so compare more than one. ``--env K=V`` sets a variable for the servers
only (``GLIBC_TUNABLES=...``, say), not for the load generator. User and system
time come from the server's ``/proc`` ticks over the same window. Needs perf and
permission to attach (perf_event_paranoid) and to read the syscall tracepoints.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import CLK_TCK, LineReader, Runner, proc_cpu_ticks, stop_process
from suite import BenchError, ServerSpec
from tls_bench import TLS_SERVERS, ensure_tls_loadgen

EVENTS = ("task-clock,page-faults,context-switches,raw_syscalls:sys_enter,"
          "syscalls:sys_enter_recvfrom,syscalls:sys_enter_read,syscalls:sys_enter_sendto,"
          "syscalls:sys_enter_write,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,"
          "syscalls:sys_enter_brk,"
          "syscalls:sys_enter_mmap,syscalls:sys_enter_munmap,syscalls:sys_enter_madvise")


@dataclasses.dataclass
class _EnvRunner(Runner):
    """A Runner whose servers (only) start under ``env K=V ...``."""

    server_env: tuple[str, ...] = ()

    def server_argv(self, spec: ServerSpec, port: int = 0) -> list[str]:
        argv = super().server_argv(spec, port)
        return ["env", *self.server_env, *argv] if self.server_env else argv


def measure(r: Runner, pid: int, port: int, size: int, events: str) -> tuple[dict[str, float],
                                                                              int]:
    """One loadgen run against ``pid``; returns (perf counts over the window, round trips)."""
    proc = subprocess.Popen(r.loadgen_argv(port, "echo", 50, size), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    reader = LineReader(proc)
    out = Path(r.log_dir, f"perf-{pid}.csv")
    perf: subprocess.Popen[bytes] | None = None
    result = None
    cpu0 = cpu1 = (0, 0)
    deadline = time.monotonic() + r.warmup + r.seconds + 120
    try:
        while (line := reader.readline(deadline)) is not None:
            if line == "@start":
                cpu0 = proc_cpu_ticks(pid)
                perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", str(out), "-e", events,
                                         "-p", str(pid)], stdin=subprocess.DEVNULL)
            elif line == "@end" and perf is not None:
                cpu1 = proc_cpu_ticks(pid)
                perf.send_signal(signal.SIGINT)
                perf.wait(30)
            elif line.startswith("{"):
                result = json.loads(line)
                break
    finally:
        reader.close()
        stop_process(proc)
        if perf is not None and perf.poll() is None:
            perf.kill()
            perf.wait()
    if result is None or perf is None:
        raise BenchError("the load generator gave no measured window")
    counts: dict[str, float] = {}
    for row in out.read_text().splitlines():
        f = row.split(",")
        if len(f) > 2 and f[2] and not row.startswith("#"):
            with contextlib.suppress(ValueError):
                counts[f[2]] = float(f[0])
    out.unlink()
    counts["user µs (/proc)"] = (cpu1[0] - cpu0[0]) / CLK_TCK * 1e6
    counts["sys µs (/proc)"] = (cpu1[1] - cpu0[1]) / CLK_TCK * 1e6
    return counts, max(int(result["round_trips"]), 1)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--servers", default="tls_gonet,tls_uvloop_protocol,tls_gevent")
    p.add_argument("--size", type=int, default=16384)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--events", default=EVENTS)
    p.add_argument("--env", action="append", default=[], metavar="K=V",
                   help="set in the servers' environment only (e.g. GLIBC_TUNABLES=...)")
    p.add_argument("--rounds", type=int, default=1, help="fresh server per round, interleaved")
    p.add_argument("--no-pin", action="store_true")
    args = p.parse_args(argv)
    if not shutil.which("perf"):
        raise BenchError("perf not found")
    pin = not args.no_pin and bool(shutil.which("taskset")) and (os.cpu_count() or 1) >= 2
    r = _EnvRunner(python=sys.executable, loadgen=ensure_tls_loadgen(), pin=pin,
                   warmup=args.warmup, seconds=args.seconds, server_env=tuple(args.env))
    specs = {s.name: s for s in TLS_SERVERS}
    rows: dict[str, dict[str, float]] = {}
    for rnd in range(args.rounds):
        for name in args.servers.split(","):
            with r.server(specs[name], f"perf-{name}") as (pid, port):
                counts, rt = measure(r, pid, port, args.size, args.events)
            col = name if args.rounds == 1 else f"{name} #{rnd + 1}"
            rows[col] = {k: v / rt for k, v in counts.items()}
            rows[col]["round trips"] = rt
    names = list(rows)
    keys = list(dict.fromkeys(k for row in rows.values() for k in row))
    print(f"per {args.size} B round trip (task-clock, user and sys in µs)")
    print("| event | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for k in keys:
        scale = 1e3 if k == "task-clock" else 1.0  # perf -x reports task-clock in ms
        cells = []
        for n in names:
            v = rows[n].get(k)
            cells.append("-" if v is None else (f"{v:,.0f}" if k == "round trips"
                                                else f"{v * scale:.3f}"))
        print(f"| {k} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
