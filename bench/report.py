"""report: what people read: progress lines, summaries, Markdown tables and the chart.

Each table cell is the median over rounds, (min-max) when they differ, then the
ratio to the baseline server's median in the same run. :class:`Progress` writes
one line per run to stderr (live round trips/s on a terminal, an ETA).
"""

import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from suite import LOAD_CPU, NOISE_PCT, SERVER_CPU, TARGETS, Json, Workload

DASH, TIMES = "\N{EN DASH}", "\N{MULTIPLICATION SIGN}"


def si(x: float) -> str:
    """si formats `x` with a k or M suffix and one decimal (1234 -> 1.2k), below 1,000 as an integer."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.1f}{suffix}"
    return f"{x:.0f}"


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    fmt: str  # "si", "f0", "f1", "f2", "f3", "pct"
    ratio: bool = True  # also shown as a ratio to the baseline
    lower_better: bool = False  # seconds, bytes: the summary line ranks ascending


ECHO_METRICS = (
    Metric("rps", "round trips/s", "si"),
    Metric("p50", "p50 µs", "f0"),
    Metric("p99", "p99 µs", "f0"),
    Metric("p999", "p99.9 µs", "f0"),
    Metric("user_us", "user µs/rt", "f2"),
    Metric("sys_us", "sys µs/rt", "f2"),
    Metric("server_cpu", "server CPU %", "pct", ratio=False),
    Metric("loadgen_cpu", "loadgen CPU %", "pct", ratio=False),
)
THROUGHPUT_METRICS = (Metric("mib_s", "MiB/s each way", "f0"), *ECHO_METRICS)
IDLE_METRICS = (
    Metric("idle_open", "idle conns held", "f0", ratio=False),
    Metric("open_s", "time to open s", "f2"),
    Metric("rss_per_idle_kib", "RSS / idle conn KiB", "f2"),
    Metric("p99_without", "active p99 µs, no idle", "f0"),
    Metric("p99_with", "active p99 µs, with idle", "f0"),
    Metric("p99_ratio", "p99 with ÷ without", "f2"),
    Metric("rps_with", "active rt/s, with idle", "si"),
    Metric("user_us_with", "user µs/rt, with idle", "f2"),
)


HTTP_METRICS = (
    Metric("rps", "requests/s", "si"),
    Metric("p50", "p50 µs", "f0"),
    Metric("p99", "p99 µs", "f0"),
    Metric("user_us", "user µs/req", "f2"),
    Metric("sys_us", "sys µs/req", "f2"),
    Metric("server_cpu", "server CPU %", "pct", ratio=False),
    Metric("loadgen_cpu", "wrk CPU %", "pct", ratio=False),
)


SPREAD_METRICS = (
    Metric("conns_seen", "conns open at end", "f0", ratio=False),
    Metric("conns_zero", "conns that got nothing", "f0", ratio=False),
    Metric("conn_min", "min req/conn", "f0", ratio=False),
    Metric("conn_p50", "median req/conn", "f0", ratio=False),
    Metric("conn_max", "max req/conn", "f0", ratio=False),
    Metric("jain", "Jain fairness", "f3", ratio=False),
)

# Columns of each kind of workload; measure.register_kind adds a new kind's.  A kind
# without its own is an echo-like one: the echo columns (MiB/s too from 4 KiB up).
KIND_METRICS: dict[str, tuple[Metric, ...]] = {"idle": IDLE_METRICS, "http": HTTP_METRICS}
# Which chart a kind's workloads go in ("echo": echo.png, "http": http.png).
CHART_KINDS: dict[str, str] = {"echo": "echo", "http": "http"}
# Charts besides those two (suite_chan.py: "chan" -> chan.png): chart name ->
# write(results, workloads, path) -> why it was not written, or None; run.py calls it
# when a workload whose kind's CHART_KINDS entry is that name ran.
ChartFn = Callable[[Json, list[Workload], Path], str | None]
CHART_WRITERS: dict[str, ChartFn] = {}
# Sections of results.md besides the tables (suite_chan.py: the channel targets):
# section(results) -> Markdown, "" when the run has nothing for it.
EXTRA_SECTIONS: list[Callable[[Json], str]] = []


def metrics_for(w: Workload) -> tuple[Metric, ...]:
    if w.kind in KIND_METRICS:
        return KIND_METRICS[w.kind]
    return THROUGHPUT_METRICS if w.size >= 4096 else ECHO_METRICS


def all_metrics(w: Workload) -> tuple[Metric, ...]:
    """all_metrics: what is summarized over rounds: the table's columns, and the spread."""
    return metrics_for(w) + (SPREAD_METRICS if w.kind == "http" else ())


def baseline_for(w: Workload, baseline: str | None) -> str | None:
    """baseline_for: the server `w`'s ratios refer to (its own, else the run's)."""
    return w.baseline or baseline


def fmt_value(x: float, fmt: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return DASH
    if fmt == "si":
        return si(x)
    if fmt == "pct":
        return f"{x:.0f}%"
    return f"{x:,.{int(fmt[1])}f}"


def summarize(runs: list[Json], metrics: tuple[Metric, ...]) -> dict[str, Json]:
    out: dict[str, Json] = {}
    for m in metrics:
        vals = [float(r[m.key]) for r in runs if r.get(m.key) is not None]
        vals = [v for v in vals if not math.isnan(v)]
        if vals:
            out[m.key] = {"median": statistics.median(vals), "min": min(vals),
                          "max": max(vals), "n": len(vals)}
    return out


def ratio(a: Json | None, b: Json | None) -> float | None:
    if not a or not b or not b["median"]:
        return None
    return float(a["median"]) / float(b["median"])


def cell(stat: Json | None, fmt: str, rat: float | None) -> str:
    if not stat:
        return DASH
    s = fmt_value(stat["median"], fmt)
    if stat["n"] > 1 and stat["min"] != stat["max"]:
        lo, hi = fmt_value(stat["min"], fmt), fmt_value(stat["max"], fmt)
        if fmt == "pct":
            lo = lo.rstrip("%")
        s += f" ({lo}{DASH}{hi})"
    if rat is not None:
        s += f" {rat:.2f}{TIMES}"
    return s


def markdown_table(wres: Json, w: Workload, baseline: str | None,
                   metrics: tuple[Metric, ...] | None = None) -> str:
    baseline = baseline_for(w, baseline)
    metrics = metrics or metrics_for(w)
    head = ["server", *[m.label for m in metrics]]
    if metrics is not SPREAD_METRICS:
        head.append("errors")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    summ: dict[str, dict[str, Json]] = wres["summary"]
    base = summ.get(baseline or "", {})
    noisy = {r["server"] for r in wres["runs"] if r.get("ok") and r.get("noisy")}
    for name, s in summ.items():
        row = [f"**{name}**" if name == baseline else name]
        if name in noisy:
            row[0] += " \N{WARNING SIGN}"
        for m in metrics:
            rat = ratio(s.get(m.key), base.get(m.key)) if base and m.ratio else None
            row.append(cell(s.get(m.key), m.fmt, rat))
        errs = sum(int(r.get("errors", 0)) for r in wres["runs"]
                   if r["server"] == name and r.get("ok"))
        failed = sum(1 for r in wres["runs"] if r["server"] == name and not r.get("ok"))
        row.append(str(errs) + (f", {failed} failed" if failed else ""))
        if metrics is SPREAD_METRICS:
            row.pop()
        lines.append("| " + " | ".join(row) + " |")
    if noisy:
        lines += ["", f"\N{WARNING SIGN} other processes used over {NOISE_PCT:.0f}% of CPU "
                  f"{SERVER_CPU} or {LOAD_CPU} during at least one of this server's rounds: "
                  "its figures are disturbed (see `other_cpu` in the JSON)."]
    return "\n".join(lines)


def summary_line(wres: Json, w: Workload, baseline: str | None) -> str:
    baseline = baseline_for(w, baseline)
    summ: dict[str, dict[str, Json]] = wres["summary"]
    if not summ:
        return f"{w.name}: no successful runs"
    key = "rss_per_idle_kib" if w.kind == "idle" else "rps"
    unit = {"idle": "KiB/idle conn", "http": "req/s"}.get(w.kind, "rt/s")
    ascending, fmt = w.kind == "idle", "f2" if w.kind == "idle" else "si"
    if w.kind not in ("idle", "http") and w.kind in KIND_METRICS:  # ranked by its first column
        first = KIND_METRICS[w.kind][0]
        key, unit, ascending, fmt = first.key, first.label, first.lower_better, first.fmt
    ranked = sorted(((s[key]["median"], n) for n, s in summ.items() if key in s),
                    reverse=not ascending)
    base = summ.get(baseline or "", {}).get(key)
    parts = []
    for v, n in ranked:
        txt = f"{n} {fmt_value(v, fmt)}"
        if base and n != baseline:
            txt += f" ({v / base['median']:.2f}{TIMES})"
        parts.append(txt)
    extra = ""
    if w.kind == "echo" and baseline in summ and "user_us" in summ[baseline]:
        extra = f"; {baseline} user {summ[baseline]['user_us']['median']:.2f} µs/rt"
    if w.kind == "idle" and baseline in summ and "p99_ratio" in summ[baseline]:
        extra = f"; {baseline} p99 with/without idle {summ[baseline]['p99_ratio']['median']:.2f}"
    sep = " < " if ascending else " > "
    return f"{w.name} [{unit}]: " + sep.join(parts) + extra


def write_chart(results: Json, workloads: list[Workload], path: Path) -> str | None:
    echo = [w for w in workloads if CHART_KINDS.get(w.kind) == "echo"
            and results["workloads"].get(w.name, {}).get("summary")]
    if not echo:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib missing (pip install matplotlib): no chart"
    fig, axes = plt.subplots(2, len(echo), figsize=(4.2 * len(echo), 7.5), squeeze=False)
    for col, w in enumerate(echo):
        summ = results["workloads"][w.name]["summary"]
        names = list(summ)
        xs = list(range(len(names)))
        colors = ["#d62728" if n == results["meta"]["baseline"] else "#1f77b4" for n in names]
        rps = [summ[n].get("rps", {"median": 0, "min": 0, "max": 0}) for n in names]
        med = [s["median"] / 1e3 for s in rps]
        err = [[(s["median"] - s["min"]) / 1e3 for s in rps],
               [(s["max"] - s["median"]) / 1e3 for s in rps]]
        ax = axes[0][col]
        bars = ax.bar(xs, med, yerr=err, color=colors, capsize=3)
        base = summ.get(results["meta"]["baseline"] or "", {}).get("rps")
        if base and base["median"]:
            labels = [f"{s['median'] / base['median']:.2f}{TIMES}" for s in rps]
            ax.bar_label(bars, labels, fontsize=7, padding=2)
            ax.margins(y=0.12)
        ax.set_title(w.title, fontsize=10)
        ax.set_ylabel("round trips/s (thousands)" if col == 0 else "")
        ax.set_xticks(xs, names, rotation=45, ha="right", fontsize=8)
        ax2 = axes[1][col]
        user = [summ[n].get("user_us", {"median": 0})["median"] for n in names]
        sysv = [summ[n].get("sys_us", {"median": 0})["median"] for n in names]
        ax2.bar(xs, user, color=colors, label="user")
        ax2.bar(xs, sysv, bottom=user, color="#bbbbbb", label="sys")
        ax2.set_ylabel("server CPU µs per round trip" if col == 0 else "")
        ax2.set_xticks(xs, names, rotation=45, ha="right", fontsize=8)
        if col == 0:
            ax2.legend(fontsize=8)
    meta = results["meta"]
    fig.suptitle(f"gonet vs peers — {meta['rounds']} round(s) {TIMES} {meta['seconds']} s, "
                 f"median with min{DASH}max; server on CPU 0, load on CPU 1", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def spread_note(w: Workload) -> str:
    return (f"Per connection, from `ss -tni` on wrk's {w.conns:,} sockets as the run ends "
            "(bytes received ÷ one response's size; a connection the server never "
            "accepted or answered counts as one that got nothing). Jain's index: "
            "(Σx)² ÷ (n·Σx²), 1.000 = every connection served the same.")


def targets_table(results: Json) -> str:
    """targets_table: issue 8's targets, each a ratio of requests/s medians in this run."""
    rows = ["| workload | gonet | peer | gonet ÷ peer | target | met |", "|---|---|---|---|---|---|"]
    for wname, ours, peer, want in TARGETS:
        summ = results["workloads"].get(wname, {}).get("summary", {})
        a, b = summ.get(ours, {}).get("rps"), summ.get(peer, {}).get("rps")
        got = ratio(a, b)
        if got is None:
            continue
        rows.append(f"| {wname} | {ours} {si(a['median'])} | {peer} {si(b['median'])} | "
                    f"{got:.2f}{TIMES} | ≥ {want:g}{TIMES} | {'yes' if got >= want else '**no**'} |")
    return "\n".join(rows) if len(rows) > 2 else ""


def readme_http_table(results: Json) -> str:
    """readme_http_table: the HTTP summary for the project README, one row per server.

    requests/s at 50 and 1,000 connections (ratio to gonet WSGI), how many of the 1,000
    got nothing, user µs per request, and the Flask row (ratio to Flask on gonet)."""
    ws = results["workloads"]
    c50 = ws.get("http_c50", {}).get("summary", {})
    c1k = ws.get("http_c1000", {}).get("summary", {})
    flask = ws.get("flask_c50", {}).get("summary", {})
    if not (c50 or c1k or flask):
        return ""

    def rps(summ: dict[str, Json], name: str, base: str) -> str:
        a, b = summ.get(name, {}).get("rps"), summ.get(base, {}).get("rps")
        if not a:
            return DASH
        r = ratio(a, b)
        text = si(a["median"])
        return f"**{text}**" if name == base else text + (f" ({r:.2f}{TIMES})" if r else "")

    def val(summ: dict[str, Json], name: str, key: str, fmt: str) -> str:
        st = summ.get(name, {}).get(key)
        return fmt_value(st["median"], fmt) if st else DASH

    rows = ["| server | req/s, 50 conns | req/s, 1,000 conns | of 1,000 conns, got nothing "
            "| min / median / max req per conn (1,000) | user µs/req (50) |",
            "|---|---|---|---|---|---|"]
    for name in dict.fromkeys([*c50, *c1k]):
        spread_txt = DASH
        if "conn_p50" in c1k.get(name, {}):
            spread_txt = " / ".join(val(c1k, name, k, "f0") for k in
                                    ("conn_min", "conn_p50", "conn_max"))
        rows.append(f"| {name} | {rps(c50, name, 'gonet_wsgi')} | {rps(c1k, name, 'gonet_wsgi')} "
                    f"| {val(c1k, name, 'conns_zero', 'f0')} | {spread_txt} "
                    f"| {val(c50, name, 'user_us', 'f2')} |")
    for name in flask:
        rows.append(f"| {name} (Flask) | {rps(flask, name, 'gonet_flask')} | {DASH} | {DASH} "
                    f"| {DASH} | {val(flask, name, 'user_us', 'f2')} |")
    return "\n".join(rows)


def write_http_chart(results: Json, workloads: list[Workload], path: Path) -> str | None:
    """write_http_chart: requests/s per server for each http workload, and the spread."""
    http = [w for w in workloads if CHART_KINDS.get(w.kind) == "http"
            and results["workloads"].get(w.name, {}).get("summary")]
    if not http:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib missing (pip install matplotlib): no HTTP chart"
    fig, axes = plt.subplots(2, len(http), figsize=(5.0 * len(http), 8.0), squeeze=False)
    for col, w in enumerate(http):
        summ = results["workloads"][w.name]["summary"]
        names = sorted(summ, key=lambda n: -summ[n].get("rps", {"median": 0})["median"])
        xs = list(range(len(names)))
        base_name = baseline_for(w, results["meta"]["baseline"])
        colors = ["#d62728" if n.startswith("gonet") else "#7f7f7f" if n.startswith("go_")
                  else "#1f77b4" for n in names]
        rps = [summ[n].get("rps", {"median": 0, "min": 0, "max": 0}) for n in names]
        ax = axes[0][col]
        bars = ax.bar(xs, [x["median"] / 1e3 for x in rps], color=colors, capsize=3,
                      yerr=[[(x["median"] - x["min"]) / 1e3 for x in rps],
                            [(x["max"] - x["median"]) / 1e3 for x in rps]])
        base = summ.get(base_name or "", {}).get("rps")
        if base and base["median"]:
            ax.bar_label(bars, [f"{x['median'] / base['median']:.2f}{TIMES}" for x in rps],
                         fontsize=7, padding=2)
            ax.margins(y=0.12)
        ax.set_title(w.title, fontsize=9)
        ax.set_ylabel("requests/s (thousands)" if col == 0 else "")
        ax.set_xticks(xs, names, rotation=45, ha="right", fontsize=8)
        ax2 = axes[1][col]
        med = [summ[n].get("conn_p50", {"median": 0})["median"] for n in names]
        lo = [summ[n].get("conn_min", {"median": 0})["median"] for n in names]
        hi = [summ[n].get("conn_max", {"median": 0})["median"] for n in names]
        ax2.errorbar(xs, med, yerr=[[m - a for m, a in zip(med, lo, strict=True)],
                                    [b - m for m, b in zip(med, hi, strict=True)]],
                     fmt="o", color="black", ecolor="#888888", capsize=4)
        for x, n in zip(xs, names, strict=True):
            zero = summ[n].get("conns_zero", {"median": 0})["median"]
            if zero:  # written at the top of the panel, clear of the error bars
                ax2.text(x + 0.15, 0.97, f"{zero:.0f} got nothing", fontsize=6, rotation=90,
                         color="#d62728", ha="left", va="top", transform=ax2.get_xaxis_transform())
        ax2.set_ylabel("requests per connection (min, median, max)" if col == 0 else "",
                       fontsize=8)
        ax2.set_xticks(xs, names, rotation=45, ha="right", fontsize=8)
    meta = results["meta"]
    fig.suptitle(f"HTTP: gonet.http vs peers (wrk -t1) — {meta['rounds']} round(s) {TIMES} "
                 f"{meta['seconds']} s, median (min{DASH}max); server on CPU {SERVER_CPU}, wrk "
                 f"on CPU {LOAD_CPU}; ratios to the red baseline", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def write_markdown(results: Json, workloads: list[Workload], path: Path,
                   chart: Path | None, lines: list[str], http_chart: Path | None = None,
                   extra_charts: tuple[Path, ...] = ()) -> None:
    meta = results["meta"]
    base = meta["baseline"]
    out = [
        "# gonet benchmark results", "",
        f"Command: `{meta['command']}`  ",
        f"Date: {meta['date']} · {meta['rounds']} round(s) {TIMES} {meta['seconds']} s measured "
        f"after {meta['warmup']} s warmup · server pinned to CPU {SERVER_CPU}, load generator "
        f"to CPU {LOAD_CPU}" + ("" if meta["pinned"] else " (**not pinned**: taskset/2 CPUs "
                                "unavailable)"), "",
        f"Machine: {meta['cpu']} {TIMES} {meta['cpus']} CPUs, Linux {meta['kernel']}, "
        f"Python {meta['python']}, {meta['go'] or 'no Go'}  ",
        f"Limits: RLIMIT_NOFILE soft {meta['nofile_soft']:,} / hard {meta['nofile_hard']:,} "
        f"(largest idle N = {meta['idle_max_n']:,}), somaxconn {meta['somaxconn']:,}", "",
        f"Each cell: median over rounds, (min{DASH}max) when they differ, then the ratio to "
        f"**{base}**'s median in the same run (this server ÷ {base})." if base else
        f"Each cell: median over rounds, (min{DASH}max) when they differ. (No baseline server.)",
        "",
    ]
    if meta["skipped"]:
        out += ["Skipped: " + "; ".join(f"{k} ({v})" for k, v in meta["skipped"].items()), ""]
    for w in workloads:
        wres = results["workloads"].get(w.name)
        if not wres:
            continue
        out += [f"## {w.name} — {w.title}", "", markdown_table(wres, w, base), ""]
        if w.kind == "http" and any("conns_seen" in s for s in wres["summary"].values()):
            out += [f"Spread over connections ({w.name}): {spread_note(w)}", "",
                    markdown_table(wres, w, base, SPREAD_METRICS), ""]
    targets = targets_table(results)
    if targets:
        out += ["## Targets (issue 8)", "", targets, ""]
    out += [x for section in EXTRA_SECTIONS if (text := section(results)) for x in (text, "")]
    readme = readme_http_table(results)
    if readme:
        out += ["## HTTP summary (for the project README)", "",
                "Ratios to gonet WSGI (Flask rows: to Flask on gonet), medians of this run.", "",
                readme, ""]
    out += ["## Summary", "", *[f"- {s}" for s in lines], ""]
    if chart is not None:
        out += [f"![echo benchmark]({chart.name})", ""]
    if http_chart is not None:
        out += [f"![HTTP benchmark]({http_chart.name})", ""]
    out += [x for c in extra_charts for x in (f"![{c.stem} benchmark]({c.name})", "")]
    path.write_text("\n".join(out))


# --------------------------------------------------------------------------- progress


class Progress:
    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()
        self.t0 = time.monotonic()
        self.prefix = ""

    def begin(self, text: str) -> None:
        elapsed = time.monotonic() - self.t0
        eta = ""
        if self.done:
            left = elapsed / self.done * (self.total - self.done)
            eta = f" eta {int(left // 60)}m{int(left % 60):02d}s"
        self.prefix = f"[{self.done + 1:>3}/{self.total}{eta}] {text}"
        self.live("starting")

    def live(self, text: str) -> None:
        if self.tty:
            line = f"{self.prefix} … {text}"[:150]
            self.stream.write("\r\x1b[2K" + line)
            self.stream.flush()

    def end(self, text: str) -> None:
        self.done += 1
        if self.tty:
            self.stream.write("\r\x1b[2K")
        self.stream.write(f"{self.prefix}: {text}\n")
        self.stream.flush()


def describe(out: Json, w: Workload) -> str:
    if w.kind == "http":
        conns = ""
        if "conns_seen" in out:
            conns = (f"; per conn {out['conn_min']:.0f}/{out['conn_p50']:.0f}/"
                     f"{out['conn_max']:.0f} req, {out['conns_zero']} got nothing")
        return (f"{si(out['rps'])} req/s p99 {out.get('p99', 0):.0f} µs user "
                f"{out['user_us']:.2f} sys {out['sys_us']:.2f} µs/req wrk "
                f"{out['loadgen_cpu']:.0f}%" + conns
                + (f" errors {out['errors']}" if out.get("errors") else "")
                + (" [BUSY MACHINE]" if out.get("noisy") else ""))
    if w.kind != "idle" and w.kind in KIND_METRICS:  # a registered kind with its own columns
        first = KIND_METRICS[w.kind][0]
        if first.key not in out:
            return "done"
        return (f"{fmt_value(out[first.key], first.fmt)} {first.label}"
                + (" [BUSY MACHINE]" if out.get("noisy") else ""))
    if w.kind == "idle":
        return (f"{out['idle_open']:,} idle open in {out['open_s']:.2f}s, "
                f"{out['rss_per_idle_kib']:.2f} KiB/conn, p99 {out['p99_without']:.0f}→"
                f"{out['p99_with']:.0f} µs" + (" [BUSY MACHINE]" if out.get("noisy") else ""))
    noise = ""
    if out.get("noisy"):
        noise = f" [BUSY MACHINE: others used {out['other_cpu'][0]:.0f}%/{out['other_cpu'][1]:.0f}%"
        noise += f" of CPU {SERVER_CPU}/{LOAD_CPU}]"
    return (f"{si(out['rps'])} rt/s p99 {out['p99']:.0f} µs user {out['user_us']:.2f} "
            f"sys {out['sys_us']:.2f} µs/rt loadgen {out['loadgen_cpu']:.0f}%"
            + (f" errors {out['errors']}" if out["errors"] else "") + noise)

