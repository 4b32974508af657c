"""httpload: the http kind of workload: wrk against a server, and how evenly it served.

:func:`run_http` starts the server fresh (pinned, warmed like every server), checks
with one request that it answers ``GET /`` with 200 and a keep-alive response (the
response's size is what turns bytes into requests below), runs wrk ``-t1`` with
keep-alive pinned to the load CPU for a warm-up and then for the measured window,
and samples the server's CPU (every process of it) around that window.  At the end
of the window, before wrk exits, ``wrk_conns.lua`` lists wrk's sockets with
``ss -tni``: bytes received per connection give the spread (min/median/max
requests per connection, connections that got nothing, Jain's fairness index).
"""

import os
import re
import socket
import ssl
import statistics
import subprocess
import tempfile
import time

from measure import Runner, register_kind
from procs import CLK_TCK, cpu_stat, other_load
from report import HTTP_METRICS
from suite import BENCH, LOAD_CPU, NOISE_PCT, SERVER_CPU, BenchError, Json, ServerSpec, Workload

WRK_SCRIPT = BENCH / "wrk_conns.lua"


def _proc_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, utime, stime) of every process in /proc."""
    table: dict[int, tuple[int, int, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                text = f.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        table[int(name)] = (int(fields[1]), int(fields[11]), int(fields[12]))
    return table


def tree_pids(pid: int, table: dict[int, tuple[int, int, int]] | None = None) -> set[int]:
    """tree_pids: `pid` and every descendant (gunicorn's and granian's workers)."""
    table = _proc_table() if table is None else table
    members, frontier = {pid}, [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, row in table.items() if row[0] == p and c not in members]
        members.update(kids)
        frontier += kids
    return members


def tree_cpu_ticks(pid: int) -> tuple[int, int]:
    """(utime, stime) of `pid` and every descendant, in clock ticks."""
    table = _proc_table()
    members = tree_pids(pid, table)
    return (sum(table[p][1] for p in members if p in table),
            sum(table[p][2] for p in members if p in table))


def probe(port: int, path: str, scheme: str = "http", timeout: float = 30.0) -> int:
    """One GET on a fresh connection: checks 200, the 13-byte body and keep-alive.

    Returns the response's size in bytes (what one request costs on the wire; for
    https the plaintext size, which is what ss does not see: the spread is then off
    by TLS's per-record overhead, the same for every server)."""
    req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").encode()
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                s = raw
                if scheme == "https":  # a self-signed bench certificate: no verification
                    ctx = ssl.create_default_context()
                    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
                    s = ctx.wrap_socket(raw)
                s.sendall(req)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(65536)
                    if not chunk:
                        raise BenchError(f"probe: connection closed after {data[:80]!r}")
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
                if not head.startswith(b"HTTP/1.1 200") or not m:
                    raise BenchError(f"probe: unexpected response {head[:200]!r}")
                while len(body) < int(m.group(1)):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                if body != b"Hello, World!":
                    raise BenchError(f"probe: body {body[:40]!r}, want b'Hello, World!'")
                if re.search(rb"(?im)^connection:\s*close", head):
                    raise BenchError("probe: the server closes keep-alive connections")
                return len(head) + 4 + len(body)
        except (ConnectionError, TimeoutError) as e:  # e.g. gunicorn's worker still booting
            if time.monotonic() > deadline:
                raise BenchError(f"probe: no answer on port {port}: {e}") from e
            time.sleep(0.2)


def parse_wrk(text: str) -> Json:
    """Requests/s and latency percentiles (µs) from `wrk --latency` output."""
    units = {"us": 1.0, "ms": 1e3, "s": 1e6}
    out: Json = {"errors": 0, "socket_errors": {}}
    in_dist = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Requests/sec:"):
            out["rps"] = float(line.split()[1])
        elif line.startswith("Latency Distribution"):
            in_dist = True
        elif in_dist and line[:3] in ("50%", "75%", "90%", "99%"):
            val = line.split()[1]
            num = val.rstrip("usm")
            out["p" + line[:2]] = float(num) * units[val[len(num):]]
        elif line.startswith("Socket errors:"):
            parts = line.split(":", 1)[1].split(",")
            for part in parts:
                kind, n = part.split()
                out["socket_errors"][kind] = int(n)
                out["errors"] += int(n)
        elif line.startswith("Non-2xx"):
            out["errors"] += int(line.split()[-1])
            out["non_2xx"] = int(line.split()[-1])
        elif "requests in" in line:
            out["requests"] = int(line.split()[0])
    if "rps" not in out:
        raise BenchError(f"could not parse wrk output: {text.strip()[-200:]}")
    return out


def parse_ss(text: str) -> list[int]:
    """bytes_received of every socket in `ss -tni` output (ss omits the field when 0)."""
    out: list[int] = []
    current: int | None = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("Recv-Q"):
            continue
        if not line[0].isspace():  # a socket's first line; its details follow indented
            if current is not None:
                out.append(current)
            current = 0
        elif current is not None:
            m = re.search(r"\bbytes_received:(\d+)", line)
            if m:
                current = int(m.group(1))
    if current is not None:
        out.append(current)
    return out


def spread(per_conn_bytes: list[int], response_bytes: int, conns: int) -> Json:
    """How evenly the connections were served: requests per connection, and who got none."""
    reqs = sorted(b / max(response_bytes, 1) for b in per_conn_bytes)
    n = len(reqs)
    total = sum(reqs)
    squares = sum(x * x for x in reqs)
    return {
        "conns_seen": n, "conns_missing": max(0, conns - n),
        "conns_zero": sum(1 for b in per_conn_bytes if b == 0) + max(0, conns - n),
        "conn_min": reqs[0] if reqs else 0.0, "conn_p50": statistics.median(reqs) if reqs else 0.0,
        "conn_max": reqs[-1] if reqs else 0.0,
        # Jain's index over all `conns` (a missing one counts as 0): 1.0 = perfectly even.
        "jain": (total * total / (max(conns, n) * squares)) if squares else 0.0,
        "bytes_min": min(per_conn_bytes, default=0), "bytes_max": max(per_conn_bytes, default=0),
    }


def run_http(r: Runner, spec: ServerSpec, w: Workload, tag: str) -> Json:
    """wrk -t1 -cN, keep-alive, against a fresh server; requests/s, latency, CPU, spread."""
    assert r.wrk
    extra = spec.http_args if (spec.http_args is not None and not spec.only) else ()
    with r.server(spec, tag, extra) as (pid, port):
        resp_bytes = probe(port, w.path, w.scheme)
        url = f"{w.scheme}://127.0.0.1:{port}{w.path}"
        base = r.pinned(LOAD_CPU, [r.wrk, "-t1", f"-c{w.conns}", "--latency",
                                   "--timeout", "10s"])
        if r.warmup > 0:
            subprocess.run([*base, f"-d{max(1, round(r.warmup))}s", url], capture_output=True,
                           timeout=r.warmup + 60, check=False)
            time.sleep(0.5)  # let the warm-up's connections close on both sides
        secs = max(1, round(r.seconds))
        with tempfile.NamedTemporaryFile("r", prefix="gonet-bench-ss-", suffix=".txt") as ss:
            env = {**os.environ, "GONET_BENCH_SS_OUT": ss.name, "GONET_BENCH_SS_PORT": str(port)}
            ru0 = os.times()
            cpu0, st0, t0 = tree_cpu_ticks(pid), cpu_stat(), time.monotonic()
            res = subprocess.run([*base, "-s", str(WRK_SCRIPT), f"-d{secs}s", url],
                                 capture_output=True, text=True, timeout=secs + 90, check=False,
                                 env=env)
            # wrk's done() ran ss before it exited; the window ends with wrk.
            cpu1, st1, t1 = tree_cpu_ticks(pid), cpu_stat(), time.monotonic()
            ru1 = os.times()
            ss_text = ss.read()
    if res.returncode != 0:
        raise BenchError(f"wrk failed ({res.returncode}): {res.stderr.strip()[-300:]}")
    out = parse_wrk(res.stdout)
    n = max(int(out.get("requests", 0)) or int(out["rps"] * secs), 1)
    user_s, sys_s = (cpu1[0] - cpu0[0]) / CLK_TCK, (cpu1[1] - cpu0[1]) / CLK_TCK
    wall = max(t1 - t0, 1e-9)
    lg = (ru1.children_user - ru0.children_user) + (ru1.children_system - ru0.children_system)
    other0 = other_load(st0, st1, SERVER_CPU, (user_s + sys_s) * CLK_TCK, wall)
    other1 = other_load(st0, st1, LOAD_CPU, lg * CLK_TCK, wall)
    out.update(user_us=user_s / n * 1e6, sys_us=sys_s / n * 1e6,
               cpu_us=(user_s + sys_s) / n * 1e6,
               server_cpu=(user_s + sys_s) / wall * 100, loadgen_cpu=lg / wall * 100,
               response_bytes=resp_bytes, wrk=res.stdout,
               other_cpu=[round(other0, 1), round(other1, 1)] if r.pin else None,
               noisy=r.pin and max(other0, other1) > NOISE_PCT)
    if ss_text.strip():
        out.update(spread(parse_ss(ss_text), resp_bytes, w.conns))
    else:
        out["spread_error"] = "ss listed no sockets (ss missing, or wrk's Lua failed)"
    return out


register_kind("http", run_http, HTTP_METRICS, chart="http")

