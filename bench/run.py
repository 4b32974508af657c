"""gonet benchmark runner: gonet against its peers, side by side.

Run ``python bench/run.py --help`` (or ``python -m gonet bench``, which loads this
file by path and calls :func:`main`).  Each (workload, round, server) starts the
server fresh, pinned to CPU 0, and drives it with the native load generator
(``bench/loadgen.c``) pinned to CPU 1; rounds are interleaved across servers
(A B C, B C A, C A B …: each round starts one server later, so that no
server always runs first, on a machine still settling, or always after the
same neighbour).  The server's user/system CPU over the measured window comes
from ``/proc/PID/stat``, its memory from ``/proc/PID/status``.  Results:
``bench/results/<name>.json``, a Markdown table and a PNG chart.
"""

# The runner is split by concern, one module each beside this file (this file is the
# command line and the orchestration of the suite):
#   suite.py    paths, CPUs, the server and workload tables, BenchError, log
#   tools.py    building the load generator and the Go server, apt-get, peer imports
#   procs.py    /proc sampling (CPU ticks, RSS, fds, /proc/stat), child process helpers
#   measure.py  Runner: one measured run (server fresh and pinned, load generator, idle)
#   report.py   progress lines, summaries, Markdown tables, the chart

import argparse
import datetime as _dt
import json
import os
import platform
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import TypeVar

# The siblings import by plain name whether this file runs as a script (its directory is
# already sys.path[0]) or is loaded by path (``python -m gonet bench``).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import importlib

from measure import KINDS, Runner
from procs import CLK_TCK, cpu_model, cpu_stat, nofile_limits, other_load, read_int
from report import (
    CHART_KINDS,
    CHART_WRITERS,
    EXTRA_SECTIONS,
    SPREAD_METRICS,
    Progress,
    all_metrics,
    baseline_for,
    describe,
    markdown_table,
    ratio,
    summarize,
    summary_line,
    write_chart,
    write_http_chart,
    write_markdown,
)
from suite import (
    KIND_MODULES,
    LOAD_CPU,
    NOISE_PCT,
    RESULTS_DIR,
    SERVER_CPU,
    SERVERS,
    SERVERS_DIR,
    WORKLOAD_GROUPS,
    BenchError,
    Json,
    ServerSpec,
    default_workloads,
    log,
    make_workloads,
    server_names,
)
from tools import (
    check_python_server,
    ensure_cert,
    ensure_go_server,
    ensure_loadgen,
    ensure_wrk,
    go_version,
)

# Each registers its kind of workload (measure.register_kind), and may add flags.
_KIND_MODULES = [importlib.import_module(m) for m in KIND_MODULES]

SERVER_NAMES = server_names()
DEFAULT_WORKLOADS = default_workloads()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="gonet bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, help="rounds per workload (default 3; quick 1)")
    p.add_argument("--seconds", type=float, help="measured seconds per run (default 5; quick 1)")
    p.add_argument("--warmup", type=float, help="warmup seconds per run (default 1; quick 0.3)")
    p.add_argument("--servers", help=f"comma list, subset of: {', '.join(SERVER_NAMES)}")
    p.add_argument("--workloads", help="comma list, subset of: echo64_c50, echo64_c1000, "
                   "echo16k_c50, idle, idle_max, http_c50, http_c1000, flask_c50, "
                   f"{', '.join(x for g in WORKLOAD_GROUPS.values() for x in g)} (default: "
                   "all; 'http' means the three HTTP ones"
                   + "".join(f", {k!r} {', '.join(v)}" for k, v in WORKLOAD_GROUPS.items())
                   + ")")
    p.add_argument("--idle-n", type=int, help="idle connections for 'idle' (default 10000; "
                   "quick 2000)")
    p.add_argument("--idle-max-n", type=int, help="idle connections for 'idle_max' (default: "
                   "min(100000, hard RLIMIT_NOFILE - 1000); 0 skips it)")
    p.add_argument("--idle-active", type=int, default=50, help="active conns in idle workloads")
    p.add_argument("--quick", action="store_true", help="short smoke run")
    p.add_argument("--name", help="results name: bench/results/<name>.json (default 'results', "
                   "quick: 'quick')")
    p.add_argument("--baseline", default="gonet", help="server the ratios refer to")
    p.add_argument("--python", default=sys.executable, help="interpreter for Python servers")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    p.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    p.add_argument("--no-install", action="store_true", help="never apt-get install")
    p.add_argument("--no-chart", action="store_true")
    p.add_argument("--retry-noisy", type=int, default=1, metavar="N",
                   help="run again, up to N times, a run that other processes disturbed "
                   f"(over {NOISE_PCT:.0f}%% of either CPU); default 1")
    p.add_argument("--busy-poll", action="store_true",
                   help="the echo load generator busy-polls (epoll timeout 0) while measuring, "
                   "so servers never pay to wake it; its CPU column then reads ~100%%")
    p.add_argument("--list", action="store_true", help="list servers and workloads and exit")
    for m in _KIND_MODULES:
        if hasattr(m, "add_arguments"):
            m.add_arguments(p)
    args = p.parse_args(argv)
    for m in _KIND_MODULES:
        if hasattr(m, "configure"):
            m.configure(args)
    return args


T = TypeVar("T")


def rotated(servers: list[T], rnd: int) -> list[T]:
    """The servers of one round, starting ``rnd`` places later (round 0 as listed)."""
    if not servers:
        return servers
    k = rnd % len(servers)
    return servers[k:] + servers[:k]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    quick = args.quick
    rounds = args.rounds or (1 if quick else 3)
    seconds = args.seconds or (1.0 if quick else 5.0)
    warmup = args.warmup if args.warmup is not None else (0.3 if quick else 1.0)
    soft, hard = nofile_limits()
    idle_n = args.idle_n if args.idle_n is not None else (2000 if quick else 10000)
    auto_max = max(0, min(100_000, hard - 1000))
    idle_max_n = args.idle_max_n if args.idle_max_n is not None else (0 if quick else auto_max)
    if idle_max_n > hard - 100:
        log(f"bench: --idle-max-n {idle_max_n:,} exceeds what one server process can hold "
            f"(hard RLIMIT_NOFILE {hard:,}); using {auto_max:,}")
        idle_max_n = auto_max
    name = args.name or ("quick" if quick else "results")
    all_w = make_workloads(idle_n, idle_max_n, args.idle_active)

    if args.list:
        for s in SERVERS:
            print(f"server   {s.name:18} {s.description}")
        for w in all_w.values():
            print(f"workload {w.name:18} {w.title}")
        return 0

    wanted_w = args.workloads.split(",") if args.workloads else list(DEFAULT_WORKLOADS)
    if "http" in wanted_w:  # the old name of the HTTP hook: every HTTP workload
        i = wanted_w.index("http")
        wanted_w[i : i + 1] = [n for n, x in all_w.items() if x.kind == "http" and n not in wanted_w]
    for group, members in WORKLOAD_GROUPS.items():  # e.g. "chan": every channel workload
        if group in wanted_w:
            i = wanted_w.index(group)
            wanted_w[i : i + 1] = [n for n in members if n not in wanted_w]
    unknown = [x for x in wanted_w if x not in all_w and x not in DEFAULT_WORKLOADS]
    if unknown:
        log(f"bench: unknown workload(s): {', '.join(unknown)}")
        return 2
    workloads = [all_w[x] for x in wanted_w if x in all_w]
    wanted_s = args.servers.split(",") if args.servers else list(SERVER_NAMES)
    unknown = [x for x in wanted_s if x not in SERVER_NAMES]
    if unknown:
        log(f"bench: unknown server(s): {', '.join(unknown)}")
        return 2

    pin = not args.no_pin and bool(shutil.which("taskset")) and (os.cpu_count() or 1) >= 2
    if not args.no_pin and not pin:
        log("bench: taskset or a second CPU is missing; running unpinned")
    loadgen = ensure_loadgen()
    runner = Runner(python=args.python, loadgen=loadgen, pin=pin, warmup=warmup,
                    seconds=seconds, busy_poll=args.busy_poll)

    skipped: dict[str, str] = {}
    servers: list[ServerSpec] = []
    for spec in (s for s in SERVERS if s.name in wanted_s):
        if not any(spec.runs(w) for w in workloads):
            continue  # e.g. the HTTP peers in an echo-only run: not even checked
        if spec.kind == "python" and not (SERVERS_DIR / spec.script).is_file():
            skipped[spec.name] = f"{spec.script} is not in this checkout"
            continue
        if spec.kind == "go":
            if spec.go_prog not in runner.go_bins:
                binary, why = ensure_go_server(not args.no_install, spec.go_prog)
                if binary is None:
                    skipped[spec.name] = why
                    continue
                runner.go_bins[spec.go_prog] = binary
        else:
            why_py, extra_env = check_python_server(args.python, spec, not args.no_install)
            if why_py:
                skipped[spec.name] = why_py
                continue
            if "gonet" in spec.modules:
                runner.gonet_env = extra_env
        servers.append(spec)
    if any("{certfile}" in a or "{keyfile}" in a for s in servers for a in (*s.args, *s.cmd)):
        cert = ensure_cert()
        if cert is None:
            log("bench: no certificate for the TLS rows (openssl missing?)")
        else:
            runner.fill.update(certfile=str(cert[0]), keyfile=str(cert[1]))
    for k, v in skipped.items():
        log(f"bench: skipping {k}: {v}")
    if not servers:
        log("bench: no server can run")
        return 1
    baseline = args.baseline if args.baseline in {s.name for s in servers} else None
    if baseline is None and any(not w.baseline for w in workloads):
        log(f"bench: baseline {args.baseline!r} is not running; ratios are omitted")

    if any(w.kind == "http" for w in workloads):
        if not any(s.runs(w) for s in servers for w in workloads if w.kind == "http"):
            log("bench: skipping the HTTP workloads: none of the chosen servers speaks HTTP")
            workloads = [w for w in workloads if w.kind != "http"]
        elif not (wrk := ensure_wrk(not args.no_install)):
            log("bench: skipping http: wrk is missing and could not be installed")
            workloads = [w for w in workloads if w.kind != "http"]
        else:
            runner.wrk = wrk

    if pin:
        a = cpu_stat()
        time.sleep(0.5)
        busy = [other_load(a, cpu_stat(), c, 0, 0.5) for c in (SERVER_CPU, LOAD_CPU)]
        if max(busy) > NOISE_PCT:
            log(f"bench: warning: CPUs {SERVER_CPU}/{LOAD_CPU} are already {busy[0]:.0f}%/"
                f"{busy[1]:.0f}% busy with other work; figures will be disturbed")

    plan = [(w, rnd, s) for w in workloads for rnd in range(rounds)
            for s in rotated([s for s in servers if s.runs(w)], rnd)]
    meta: Json = {
        "command": "python -m gonet bench " + " ".join(shlex.quote(a) for a in
                                                       (argv if argv is not None else
                                                        sys.argv[1:])),
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rounds": rounds, "seconds": seconds, "warmup": warmup, "pinned": pin,
        "busy_poll": args.busy_poll,
        "cpu": cpu_model(), "cpus": os.cpu_count(), "kernel": platform.release(),
        "python": platform.python_version(), "go": go_version(),
        "nofile_soft": soft, "nofile_hard": hard, "somaxconn": read_int(
            "/proc/sys/net/core/somaxconn"), "idle_n": idle_n, "idle_max_n": idle_max_n,
        "baseline": baseline, "servers": [s.name for s in servers], "skipped": skipped,
        "clk_tck": CLK_TCK, "gonet_pure_python": os.environ.get("GONET_PURE_PYTHON", ""),
    }
    results: Json = {"meta": meta, "workloads": {}}
    prog = Progress(len(plan))
    runner.on_progress = prog.live
    broken: dict[str, str] = {}
    t_all = time.monotonic()
    try:
        for w, rnd, spec in plan:
            wres = results["workloads"].setdefault(
                w.name, {"workload": w.__dict__, "runs": [], "summary": {}})
            prog.begin(f"{w.name} r{rnd + 1}/{rounds} {spec.name}")
            if spec.name in broken:
                prog.end(f"skipped ({broken[spec.name]})")
                continue
            tag = f"{spec.name}-{w.name}-r{rnd + 1}"
            rec: Json = {"server": spec.name, "round": rnd + 1}
            for attempt in range(args.retry_noisy + 1):
                rec = {"server": spec.name, "round": rnd + 1, "attempt": attempt + 1}
                try:
                    out = KINDS[w.kind](runner, spec, w, tag)
                    rec.update(out, ok=True)
                except BenchError as e:
                    rec.update(ok=False, error=str(e))
                    prog.end(f"FAILED: {e}")
                    if "did not start" in str(e):
                        broken[spec.name] = "did not start"
                    break
                if not out.get("noisy") or attempt == args.retry_noisy:
                    prog.end(describe(out, w) + (f" (attempt {attempt + 1})" if attempt else ""))
                    break
                prog.live(f"disturbed by other processes; again ({attempt + 1}/"
                          f"{args.retry_noisy})")
                time.sleep(2)
            wres["runs"].append(rec)
    except KeyboardInterrupt:
        log("\nbench: interrupted; writing what was measured")

    lines: list[str] = []
    for w in workloads:
        wres = results["workloads"].get(w.name)
        if not wres:
            continue
        by_server: dict[str, list[Json]] = {}
        for rec in wres["runs"]:
            if rec.get("ok"):
                by_server.setdefault(rec["server"], []).append(rec)
        wres["summary"] = {s.name: summarize(by_server[s.name], all_metrics(w))
                           for s in servers if s.name in by_server}
        base = wres["summary"].get(baseline_for(w, baseline) or "", {})
        wres["ratios_to_baseline"] = {
            n: {k: ratio(v, base.get(k)) for k, v in s.items()} for n, s in
            wres["summary"].items()} if base else {}
        lines.append(summary_line(wres, w, baseline))
    meta["elapsed_s"] = round(time.monotonic() - t_all, 1)

    outdir: Path = args.results_dir
    outdir.mkdir(parents=True, exist_ok=True)
    default = name == "results"
    json_path = outdir / f"{name}.json"
    md_path = outdir / ("results.md" if default else f"{name}.md")
    png_path = outdir / ("echo.png" if default else f"{name}-echo.png")
    http_png = outdir / ("http.png" if default else f"{name}-http.png")
    json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
    chart: Path | None = None
    http_chart: Path | None = None
    extra_charts: list[Path] = []
    if not args.no_chart:
        chart_err = write_chart(results, workloads, png_path)
        if chart_err:
            log(f"bench: {chart_err}")
        elif png_path.exists() and any(CHART_KINDS.get(w.kind) == "echo" for w in workloads):
            chart = png_path
        http_err = write_http_chart(results, workloads, http_png)
        if http_err:
            log(f"bench: {http_err}")
        elif http_png.exists() and any(CHART_KINDS.get(w.kind) == "http" for w in workloads):
            http_chart = http_png
        for cname, write in CHART_WRITERS.items():  # chan.png (suite_chan.py)
            if not any(CHART_KINDS.get(w.kind) == cname for w in workloads):
                continue
            cpath = outdir / (f"{cname}.png" if default else f"{name}-{cname}.png")
            cerr = write(results, workloads, cpath)
            if cerr:
                log(f"bench: {cerr}")
            elif cpath.exists():
                extra_charts.append(cpath)
    write_markdown(results, workloads, md_path, chart, lines, http_chart, tuple(extra_charts))

    print()
    for w in workloads:
        if w.name in results["workloads"]:
            print(f"## {w.name} — {w.title}")
            print(markdown_table(results["workloads"][w.name], w, baseline))
            if w.kind == "http":
                print()
                print(markdown_table(results["workloads"][w.name], w, baseline, SPREAD_METRICS))
            print()
    for section in EXTRA_SECTIONS:
        if text := section(results):
            print(text)
            print()
    print("Summary:")
    for line in lines:
        print("  " + line)
    print(f"\nwrote {json_path}, {md_path}" + (f", {chart}" if chart else "")
          + (f", {http_chart}" if http_chart else "")
          + "".join(f", {c}" for c in extra_charts)
          + f" in {meta['elapsed_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
