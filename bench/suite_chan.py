"""suite_chan: issue 7's goroutine and channel rows in the suite (the workers: chan_bench.py).

``chan_bench.py`` measures goroutines and channels in gonet (compiled and plain),
asyncio, gevent and Go; this module registers its workloads with the suite the
way bench/README.md ("Adding a workload") describes, so that ``python -m gonet
bench --workloads chan`` runs every implementation side by side in one run:

* workloads ``chan_pingpong``, ``chan_select`` (kind ``chan_rt``: round trips/s),
  ``chan_select_pair`` (kind ``chan_pair``: both loops interleaved in one process,
  the best round of each and their ratio) and ``chan_park`` (kind ``chan_park``:
  spawn-and-park and wake-all seconds, RSS per parked goroutine), group name ``chan``;
* one "server" per implementation (``chan_gonet``, ``chan_gonet_plain``,
  ``chan_asyncio``, ``chan_gevent``, ``chan_gevent_queue``, ``chan_go``), each in
  the workloads chan_bench has a form of; ratios refer to ``chan_gonet``;
* each run is one ``chan_bench.py --worker`` (or ``go_chan``) process, fresh and
  pinned to the server CPU; its times are the worker's own CPU time over the
  measured part (chan_bench's method: on a shared machine descheduling inflates
  wall time, not CPU time), so ``--seconds``/``--warmup`` do not apply: the counts
  do (``--chan-round-trips``, ``--chan-parked``);
* a section of results.md with issue 7's targets as ratios of this run's medians,
  and a chart, ``chan.png`` (skipped when matplotlib is missing).
"""

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

from chan_bench import (
    GO_ROUND_TRIPS_FACTOR,
    PAIR_ROUNDS,
    PARKED,
    ROUND_TRIPS,
    ROUND_TRIPS_QUICK,
    supported,
    worker_command,
)
from measure import Runner, register_kind
from procs import CLK_TCK, cpu_stat, other_load
from report import CHART_WRITERS, DASH, EXTRA_SECTIONS, TIMES, Metric, fmt_value, si
from suite import (
    EXTRA_WORKLOADS,
    NOISE_PCT,
    SERVER_CPU,
    SERVERS,
    WORKLOAD_GROUPS,
    BenchError,
    Json,
    ServerSpec,
    Workload,
)

# Suite workload -> chan_bench workload, and suite server -> chan_bench implementation.
CHAN_WORKLOADS = {"chan_pingpong": "pingpong", "chan_select": "select",
                  "chan_select_pair": "select_pair", "chan_park": "park"}
CHAN_IMPLS = {
    "chan_gonet": ("gonet", "gonet compiled: Chan, go()", ("gonet",)),
    "chan_gonet_plain": ("gonet_plain", "gonet plain Python (GONET_PURE_PYTHON=1)", ("gonet",)),
    "chan_asyncio": ("asyncio", "asyncio.Queue, create_task", ()),
    "chan_gevent": ("gevent", "gevent.queue.Channel, spawn", ("gevent",)),
    "chan_gevent_queue": ("gevent_queue", "gevent.queue.Queue(1)", ("gevent",)),
    "chan_go": ("go", "Go channels, GOMAXPROCS=1", ()),
}
BASELINE = "chan_gonet"
GO_PROG = "go_chan"  # bench/servers/go_chan/main.go, built to bench/build/go_chan

RT_METRICS = (
    Metric("rps", "round trips/s", "si"),
    Metric("ns_per_rt", "CPU ns per round trip", "f0", lower_better=True),
    Metric("n", "round trips", "f0", ratio=False),
)
PAIR_METRICS = (
    Metric("ratio", "select ÷ plain round trip", "f2", lower_better=True),
    Metric("select_ns", "select ns per round trip", "f0", lower_better=True),
    Metric("pingpong_ns", "plain ns per round trip", "f0", lower_better=True),
    Metric("n", "round trips per loop", "f0", ratio=False),
)
PARK_METRICS = (
    Metric("spawn_s", "spawn + park s", "f3", lower_better=True),
    Metric("wake_s", "wake all s", "f3", lower_better=True),
    Metric("rss_per_g", "RSS per parked goroutine, B", "f0", lower_better=True),
    Metric("n", "goroutines", "f0", ratio=False),
)

# The counts this invocation uses (configure() sets them from the flags).
counts = {"round_trips": ROUND_TRIPS, "parked": PARKED}


def _workloads() -> list[Workload]:
    rt, go_rt, parked = counts["round_trips"], counts["round_trips"] * GO_ROUND_TRIPS_FACTOR, \
        counts["parked"]
    return [
        Workload("chan_pingpong", f"unbuffered channel ping-pong, {rt:,} round trips (Go "
                 f"{go_rt:,}), CPU time", "chan_rt", 0, 0, baseline=BASELINE),
        Workload("chan_select", f"select ping-pong (a second, never-ready case), {rt:,} round "
                 f"trips (Go {go_rt:,}), CPU time", "chan_rt", 0, 0, baseline=BASELINE),
        Workload("chan_select_pair", f"select and plain ping-pong interleaved in one process, "
                 f"{PAIR_ROUNDS} rounds of {rt // PAIR_ROUNDS:,} round trips each, best round of "
                 "each, CPU time", "chan_pair", 0, 0, baseline=BASELINE),
        Workload("chan_park", f"spawn {parked:,} goroutines parked on a channel, then wake all "
                 "(close), CPU time", "chan_park", 0, 0, baseline=BASELINE),
    ]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """add_arguments: the chan rows' counts (run.py adds every kind module's flags)."""
    p.add_argument("--chan-round-trips", type=int, metavar="N",
                   help=f"round trips per chan_pingpong/chan_select run (default {ROUND_TRIPS:,}; "
                   f"quick {ROUND_TRIPS_QUICK:,}; Go runs {GO_ROUND_TRIPS_FACTOR}{TIMES} as many)")
    p.add_argument("--chan-parked", type=int, metavar="N",
                   help=f"goroutines spawned and parked in chan_park (default {PARKED:,})")


def configure(args: argparse.Namespace) -> None:
    """configure: take the counts from the parsed flags; the workload titles follow."""
    counts["round_trips"] = args.chan_round_trips or (ROUND_TRIPS_QUICK if args.quick
                                                      else ROUND_TRIPS)
    counts["parked"] = args.chan_parked or PARKED
    fresh = {w.name: w for w in _workloads()}
    EXTRA_WORKLOADS[:] = [(fresh.get(w.name, w), default) for w, default in EXTRA_WORKLOADS]


# --------------------------------------------------------------------------- one run


def run_chan(r: Runner, spec: ServerSpec, w: Workload, tag: str) -> Json:
    """run_chan: one chan_bench worker (or go_chan) process, fresh and pinned to the server CPU."""
    impl, workload = CHAN_IMPLS[spec.name][0], CHAN_WORKLOADS[w.name]
    n = counts["parked"] if workload == "park" else counts["round_trips"]
    if impl == "go" and workload != "park":
        n *= GO_ROUND_TRIPS_FACTOR
    command = worker_command(impl, workload, n, r.go_bins.get(GO_PROG), python=r.python)
    if command is None:
        raise BenchError(f"{GO_PROG} is not built")
    argv, env = command
    if impl.startswith("gonet"):
        env.update(r.gonet_env)
    r.on_progress(f"{impl} {workload} N={n:,}")
    st0, t0, ru0 = cpu_stat(), time.monotonic(), os.times()
    try:
        res = subprocess.run(r.pinned(SERVER_CPU, argv), env=env, capture_output=True,
                             text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"{impl} {workload} N={n:,} took over 600 s") from e
    st1, t1, ru1 = cpu_stat(), time.monotonic(), os.times()
    lines = [x for x in res.stdout.splitlines() if x.startswith("{")]
    if res.returncode != 0 or not lines:
        raise BenchError(f"{impl} {workload} failed ({res.returncode}): "
                         f"{(res.stderr or res.stdout).strip()[-300:]}")
    out: Json = json.loads(lines[-1])
    if impl.startswith("gonet") and out.get("compiled") != (impl == "gonet"):
        # A "compiled" row measured on plain Python (or the reverse) would be a false figure.
        raise BenchError(f"{impl}: gonet ran {'compiled' if out.get('compiled') else 'plain'} "
                         "(make build compiles it)")
    wall = max(t1 - t0, 1e-9)
    own_s = (ru1.children_user - ru0.children_user) + (ru1.children_system - ru0.children_system)
    other = other_load(st0, st1, SERVER_CPU, own_s * CLK_TCK, wall)
    out.update(errors=0, wall_s=wall, process_cpu_s=own_s,
               other_cpu=[round(other, 1)] if r.pin else None,
               noisy=r.pin and other > NOISE_PCT)
    if workload == "park":
        out.update(spawn_s=out["spawn_seconds"], wake_s=out["wake_seconds"],
                   rss_per_g=out["rss_delta_kb"] * 1024 / n)
    elif workload != "select_pair":  # select_pair reports its best rounds and ratio itself
        seconds = max(float(out["seconds"]), 1e-9)
        out.update(rps=n / seconds, ns_per_rt=seconds / n * 1e9)
    return out


# --------------------------------------------------------------------------- targets

# Issue 7's targets, each a ratio of medians in one run: (what, (workload, server,
# metric) over (workload, server, metric) or None for an absolute bound, "≥"/"≤", bound,
# unit of the absolute bound).
Ref = tuple[str, str, str]
TARGETS: list[tuple[str, Ref, Ref | None, str, float]] = [
    ("ping-pong round trips/s ÷ asyncio.Queue's", ("chan_pingpong", BASELINE, "rps"),
     ("chan_pingpong", "chan_asyncio", "rps"), "≥", 8.0),
    ("spawn-and-park seconds ÷ Go's", ("chan_park", BASELINE, "spawn_s"),
     ("chan_park", "chan_go", "spawn_s"), "≤", 2.0),
    ("wake-all seconds ÷ Go's", ("chan_park", BASELINE, "wake_s"),
     ("chan_park", "chan_go", "wake_s"), "≤", 3.0),
    ("select round trip ÷ plain ping-pong round trip", ("chan_pingpong", BASELINE, "rps"),
     ("chan_select", BASELINE, "rps"), "≤", 1.5),
    ("the same, both loops in one process, interleaved (best round of each)",
     ("chan_select_pair", BASELINE, "ratio"), None, "≤", 1.5),
    ("RSS per parked goroutine, B (4 KB taken as 4,096 B)", ("chan_park", BASELINE, "rss_per_g"),
     None, "≤", 4096.0),
]


def _median(results: Json, ref: Ref) -> float | None:
    wname, server, key = ref
    stat = results["workloads"].get(wname, {}).get("summary", {}).get(server, {}).get(key)
    return float(stat["median"]) if stat else None


def _show(ref: Ref, v: float | None, workload: bool) -> str:
    """_show: "server [workload] value", the workload named when the two sides differ in it."""
    fmt = next(m.fmt for m in (*RT_METRICS, *PAIR_METRICS, *PARK_METRICS) if m.key == ref[2])
    name = f"{ref[1]} {CHAN_WORKLOADS[ref[0]]}" if workload else ref[1]
    return f"{name} {DASH if v is None else si(v) if fmt == 'si' else fmt_value(v, fmt)}"


def targets_section(results: Json) -> str:
    """targets_section: issue 7's targets as a Markdown table, "" when no chan row ran."""
    if not any(w in results["workloads"] for w in CHAN_WORKLOADS):
        return ""
    rows = [f"## Goroutine and channel targets (issue 7, {BASELINE}: gonet compiled)", "",
            "| target | gonet | against | measured | target | met |", "|---|---|---|---|---|---|"]
    for what, ours, theirs, op, bound in TARGETS:
        a = _median(results, ours)
        b = _median(results, theirs) if theirs else 1.0
        got = a / b if a is not None and b else None
        ratio = theirs is not None or ours[2] == "ratio"  # a ratio of two figures: shown with TIMES
        want = f"{op} {bound:g}{TIMES}" if ratio else f"{op} {bound:,.0f}"
        if got is None:
            missing = ours if a is None else theirs
            shown, met = DASH, f"not measured ({missing[1] if missing else ''} did not run)"
        else:
            shown = f"{got:.2f}{TIMES}" if ratio else f"{got:,.0f}"
            met = "yes" if (got >= bound if op == "≥" else got <= bound) else "**no**"
        differ = theirs is not None and theirs[0] != ours[0]
        against = _show(theirs, b, differ) if theirs else DASH
        rows.append(f"| {what} | {_show(ours, a, differ)} | {against} | {shown} | {want} "
                    f"| {met} |")
    return "\n".join(rows)


# --------------------------------------------------------------------------- the chart

# (workload, metric, y label, scale, target line: (ref, factor) or an absolute value)
PANELS: list[tuple[str, str, str, float, tuple[Ref, float] | float | None]] = [
    ("chan_pingpong", "rps", "ping-pong round trips/s (thousands)", 1e3,
     (("chan_pingpong", "chan_asyncio", "rps"), 8.0)),
    ("chan_select", "rps", "select round trips/s (thousands)", 1e3,
     (("chan_pingpong", BASELINE, "rps"), 1 / 1.5)),
    ("chan_select_pair", "ratio", "select ÷ plain round trip, one process", 1.0, 1.5),
    ("chan_park", "spawn_s", "spawn + park, s", 1.0, (("chan_park", "chan_go", "spawn_s"), 2.0)),
    ("chan_park", "wake_s", "wake all, s", 1.0, (("chan_park", "chan_go", "wake_s"), 3.0)),
    ("chan_park", "rss_per_g", "RSS per parked goroutine, B", 1.0, 4096.0),
]


def write_chan_chart(results: Json, workloads: list[Workload], path: Path) -> str | None:
    """write_chan_chart: one panel per figure of the chan rows, issue 7's target as a line."""
    ran = {w.name for w in workloads if results["workloads"].get(w.name, {}).get("summary")}
    panels = [p for p in PANELS if p[0] in ran]
    if not panels:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib missing (pip install matplotlib): no channel chart"
    cols = min(3, len(panels))
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 4.2 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, (wname, key, label, scale, target) in zip(axes.flat, panels, strict=False):
        summ = results["workloads"][wname]["summary"]
        names = [n for n in CHAN_IMPLS if key in summ.get(n, {})]
        stats = [summ[n][key] for n in names]
        xs = list(range(len(names)))
        colors = [{"chan_gonet": "#d62728", "chan_gonet_plain": "#ff9896",
                   "chan_go": "#7f7f7f"}.get(n, "#1f77b4") for n in names]
        bars = ax.bar(xs, [s["median"] / scale for s in stats], color=colors, capsize=3,
                      yerr=[[(s["median"] - s["min"]) / scale for s in stats],
                            [(s["max"] - s["median"]) / scale for s in stats]])
        ax.bar_label(bars, [si(s["median"]) if s["median"] >= 100 else f"{s['median']:.3g}"
                            for s in stats], fontsize=7, padding=2)
        line = target if isinstance(target, float) else None
        if isinstance(target, tuple):
            base = _median(results, target[0])
            line = base * target[1] if base is not None else None
        if line is not None:
            ax.axhline(line / scale, color="#2ca02c", linestyle="--", linewidth=1,
                       label="issue 7 target")
            ax.legend(fontsize=7)
        ax.margins(y=0.15)
        ax.set_ylabel(label, fontsize=8)
        ax.set_xticks(xs, [n.removeprefix("chan_") for n in names], rotation=45, ha="right",
                      fontsize=8)
    meta = results["meta"]
    fig.suptitle(f"goroutines and channels — {meta['rounds']} round(s), median (min{DASH}max) "
                 f"of each process's CPU time; one fresh process per run on CPU {SERVER_CPU}",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


# --------------------------------------------------------------------------- registration

register_kind("chan_rt", run_chan, RT_METRICS, chart="chan")
register_kind("chan_pair", run_chan, PAIR_METRICS, chart="chan")
register_kind("chan_park", run_chan, PARK_METRICS, chart="chan")
CHART_WRITERS["chan"] = write_chan_chart
EXTRA_SECTIONS.append(targets_section)
WORKLOAD_GROUPS["chan"] = tuple(CHAN_WORKLOADS)
EXTRA_WORKLOADS.extend((w, True) for w in _workloads())
SERVERS.extend(
    ServerSpec(name, description, "go" if impl == "go" else "python",
               "" if impl == "go" else "../chan_bench.py", modules=modules, go_prog=GO_PROG,
               only=tuple(w for w, cw in CHAN_WORKLOADS.items() if supported(impl, cw)),
               warm="none")
    for name, (impl, description, modules) in CHAN_IMPLS.items())
