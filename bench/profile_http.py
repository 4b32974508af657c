"""profile_http: where one HTTP server spends its time per request (not part of the suite).

``python bench/profile_http.py SERVER [--tool strace|pyspy] [--seconds S] [--conns N]``
starts SERVER (a name from suite.SERVERS) as the suite does (fresh, pinned to CPU 0),
drives it with ``wrk -t1`` pinned to CPU 1, and attaches to it for the window:

- ``strace``: ``strace -c -f`` over exactly one wrk run -> system calls per request,
  by name (the floor for keep-alive is one read + one write);
- ``callgrind``: the server runs under ``valgrind --tool=callgrind`` with
  instrumentation switched on (``callgrind_control -i on``) for exactly one wrk run
  -> instructions per request, and the functions with the most (inclusive and
  self) instructions per request: repeatable on a busy machine, unlike seconds;
- ``pyspy``: ``py-spy record --native --format raw`` (it pauses the server to take
  each sample) -> the functions with the most samples on top of the stack (self)
  and anywhere on it (total), as % of samples.

Both tools slow the server down while attached; read the shares, not the req/s.
"""

import argparse
import collections
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from httpload import parse_wrk, probe, tree_pids
from measure import Runner
from suite import LOAD_CPU, SERVERS, ServerSpec
from tools import ensure_go_server, ensure_loadgen, ensure_wrk


def strace_counts(pid: int, wrk: list[str]) -> tuple[dict[str, int], str]:
    """strace -c -f on `pid` for exactly one wrk run -> (calls by name, wrk's output)."""
    with tempfile.NamedTemporaryFile("r", prefix="gonet-strace-", suffix=".txt") as out:
        attach = [a for p in sorted(tree_pids(pid)) for a in ("-p", str(p))]  # workers too
        st = subprocess.Popen(["strace", "-c", "-f", "-q", "-o", out.name, *attach],
                              stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # attached to every thread before the load starts
        res = subprocess.run(wrk, capture_output=True, text=True, check=False)
        st.terminate()
        st.wait(30)
        counts: dict[str, int] = {}
        for line in out.read().splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                counts[parts[-1]] = int(parts[3])
    return counts, res.stdout


Counts = collections.Counter[str]


def pyspy_top(pid: int, seconds: float, py_spy: str) -> tuple[Counts, Counts, int]:
    out = Path(tempfile.mkdtemp(prefix="gonet-pyspy-")) / "raw.txt"
    subprocess.run([py_spy, "record", "--native", "--format", "raw", "--rate",
                    "500", "--duration", str(int(seconds)), "--pid", str(pid), "-o", str(out)],
                   capture_output=True, timeout=seconds + 60, check=False)
    self_c: collections.Counter[str] = collections.Counter()
    total_c: collections.Counter[str] = collections.Counter()
    n = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        # per function, not per line; samples parked in epoll_wait are the server idle
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        if frames[-1].startswith("epoll_wait"):
            continue
        k = int(count)
        n += k
        self_c[frames[-1]] += k
        for f in set(frames):
            total_c[f] += k
    out.unlink()
    out.parent.rmdir()
    return self_c, total_c, n


class CallgrindRunner(Runner):
    """A Runner whose servers run under callgrind, instrumentation off until asked."""

    out = Path(tempfile.mkdtemp(prefix="gonet-callgrind-")) / "callgrind.out"

    def server_argv(self, spec: ServerSpec, port: int = 0) -> list[str]:
        return ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                f"--callgrind-out-file={self.out}", *super().server_argv(spec, port)]


def callgrind(pid: int, wrk: list[str], out: Path, top: int) -> None:
    """Instructions per request over one wrk run, and the top functions per request."""
    subprocess.run(["callgrind_control", "-i", "on", str(pid)], capture_output=True, check=False)
    res = parse_wrk(subprocess.run(wrk, capture_output=True, text=True, check=False).stdout)
    subprocess.run(["callgrind_control", "-i", "off", str(pid)], capture_output=True, check=False)
    subprocess.run(["callgrind_control", "-d", str(pid)], capture_output=True, check=False)
    n = max(int(res.get("requests", 0)), 1)
    files = sorted(out.parent.glob(out.name + "*"), key=lambda f: f.stat().st_mtime)
    if not files:
        raise SystemExit("callgrind wrote no profile")
    for inclusive in (False, True):
        ann = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                              str(files[-1])], capture_output=True, text=True, check=False).stdout
        rows = []
        total = 0
        for line in ann.splitlines():
            m = re.match(r"^\s*([\d,]+)\s+(?:\([\d.]+%\)\s+)?(.*)$", line)
            if not m:
                continue
            ir = int(m.group(1).replace(",", ""))
            what = re.sub(r"\S*/", "", m.group(2).split(" [")[0])  # file.c:function
            if "PROGRAM TOTALS" in what:
                total = ir
            elif ":" in what or "???" in what:
                rows.append((ir, what))
        if not inclusive:
            print(f"{n} requests, {total / n:,.0f} instructions per request (callgrind)")
        print("inclusive" if inclusive else "self", "instructions per request:")
        for ir, what in rows[:top]:
            print(f"  {ir / n:10,.0f}  {what[:100]}")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("server")
    p.add_argument("--tool", choices=("strace", "pyspy", "callgrind"), default="strace")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--conns", type=int, default=50)
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    spec = next(s for s in SERVERS if s.name == args.server)
    cls = CallgrindRunner if args.tool == "callgrind" else Runner
    r = cls(python=sys.executable, loadgen=ensure_loadgen(), pin=True, warmup=1,
               seconds=args.seconds, wrk=ensure_wrk(False) or "wrk")
    if spec.kind == "go":
        binary, why = ensure_go_server(False, spec.go_prog)
        if binary is None:
            raise SystemExit(why)
        r.go_bins[spec.go_prog] = binary
    with r.server(spec, f"profile-{spec.name}") as (pid, port):
        probe(port, "/")
        url = f"http://127.0.0.1:{port}/"
        wrk = r.pinned(LOAD_CPU, [r.wrk, "-t1", f"-c{args.conns}",
                                  f"-d{int(args.seconds) + 2}s", url])
        subprocess.run([*r.pinned(LOAD_CPU, [r.wrk, "-t1", f"-c{args.conns}", "-d1s", url])],
                       capture_output=True, check=False)
        if args.tool == "callgrind":
            assert isinstance(r, CallgrindRunner)
            callgrind(pid, wrk, r.out, args.top)
        elif args.tool == "strace":
            counts, text = strace_counts(pid, wrk)
            res = parse_wrk(text)
            n = max(int(res.get("requests", 0)), 1)
            print(f"{spec.name}: {res['rps']:.0f} req/s under strace, {n} requests; "
                  "syscalls per request:")
            for name, c in sorted(counts.items(), key=lambda x: -x[1])[: args.top]:
                print(f"  {name:20} {c / n:6.2f}")
            print(f"  {'total':20} {sum(counts.values()) / n:6.2f}")
        else:
            load = subprocess.Popen(wrk, stdout=subprocess.DEVNULL)
            time.sleep(1)
            py_spy = str(Path(sys.executable).parent / "py-spy")
            self_c, total_c, n = pyspy_top(pid, args.seconds, py_spy)
            load.wait(args.seconds + 60)
            print(f"{spec.name}: {n} busy samples (idle in epoll_wait left out); self % / total %:")
            for name, c in self_c.most_common(args.top):
                print(f"  {100 * c / n:5.1f} {100 * total_c[name] / n:5.1f}  {name}")
            print("total (anywhere on the stack):")
            for name, c in total_c.most_common(args.top):
                print(f"  {100 * c / n:5.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
