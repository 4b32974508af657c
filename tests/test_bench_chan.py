"""The suite's goroutine and channel rows (bench/suite_chan.py), not their speed.

``python -m gonet bench --workloads chan`` runs for real here in its quickest mode,
with tiny counts (300 round trips, 200 goroutines): every implementation that can
run on this machine gets its row in each workload's table, the targets table has
every one of issue 7's targets, and the chart is written when matplotlib is there.
No timing is asserted (speed is measured in bench/, never in tests).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)  # a fresh checkout builds go_chan first

Json = dict[str, Any]  # the results file's records
ROUND_TRIPS, PARKED = 300, 200
# Which implementation runs in which workload (chan_bench.supported); the ones that need
# nothing beyond this checkout must always have a row.
EXPECTED = {
    "chan_pingpong": ("chan_gonet", "chan_gonet_plain", "chan_asyncio", "chan_gevent",
                      "chan_gevent_queue", "chan_go"),
    "chan_select": ("chan_gonet", "chan_gonet_plain", "chan_go"),
    "chan_select_pair": ("chan_gonet", "chan_gonet_plain"),
    "chan_park": ("chan_gonet", "chan_gonet_plain", "chan_asyncio", "chan_gevent", "chan_go"),
}
ALWAYS = {"chan_gonet", "chan_gonet_plain", "chan_asyncio"}
TARGET_ROWS = ("ping-pong round trips/s ÷ asyncio.Queue's", "spawn-and-park seconds ÷ Go's",
               "wake-all seconds ÷ Go's", "select round trip ÷ plain ping-pong round trip",
               "the same, both loops in one process", "RSS per parked goroutine, B")


def section(md: str, heading: str) -> list[str]:
    """section is the table lines (starting with '|') under the heading that starts so."""
    start = next(i for i, line in enumerate(md.splitlines()) if line.startswith(heading))
    lines = md.splitlines()[start + 1:]
    lines = lines[next(i for i, x in enumerate(lines) if x.startswith("|")):]
    return lines[: next((i for i, x in enumerate(lines) if not x.startswith("|")), len(lines))]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Json, Path]:
    out = tmp_path_factory.mktemp("chan-bench")
    argv = [sys.executable, "-m", "gonet", "bench", "--workloads", "chan", "--quick",
            "--chan-round-trips", str(ROUND_TRIPS), "--chan-parked", str(PARKED),
            "--no-install", "--no-pin", "--retry-noisy", "0", "--results-dir", str(out),
            "--name", "chantest"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=280, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    return (out / "chantest.md").read_text(), json.loads((out / "chantest.json").read_text()), out


def ran(results: Json) -> set[str]:
    """ran is the set of implementations the runner could start on this machine."""
    return set(results["meta"]["servers"])


def test_the_chan_group_runs_every_available_implementation(run: tuple[str, Json, Path]) -> None:
    """test_the_chan_group_runs_every_available_implementation: missing ones say why."""
    _, results, _ = run
    assert set(results["workloads"]) == set(EXPECTED)
    assert ran(results) >= ALWAYS
    if shutil.which("go"):
        assert "chan_go" in ran(results)
    every = {s for names in EXPECTED.values() for s in names}
    for name in every - ran(results):
        assert results["meta"]["skipped"].get(name), f"{name} neither ran nor says why"
    for wname, wres in results["workloads"].items():
        for rec in wres["runs"]:
            assert rec["ok"], f"{wname} {rec['server']}: {rec.get('error')}"
            n = PARKED if wname == "chan_park" else ROUND_TRIPS * (5 if rec["server"] == "chan_go"
                                                                     else 1)
            assert rec["n"] == n
        assert {r["server"] for r in wres["runs"]} == set(EXPECTED[wname]) & ran(results)


def test_each_workload_table_has_a_row_per_implementation(run: tuple[str, Json, Path]) -> None:
    """test_each_workload_table_has_a_row_per_implementation: a number in every cell."""
    md, results, _ = run
    for wname, names in EXPECTED.items():
        table = section(md, f"## {wname} ")
        head = [c.strip() for c in table[0].strip("|").split("|")]
        assert head[0] == "server"
        rows = {re.sub(r"[*\s]|\N{WARNING SIGN}", "", line.split("|")[1]): line
                for line in table[2:]}
        assert set(rows) == set(names) & ran(results)
        for name, line in rows.items():
            cells = [c.strip() for c in line.strip("|").split("|")][1:]
            assert len(cells) == len(head) - 1
            assert all(c and c != "\N{EN DASH}" for c in cells), f"{wname} {name}: {line}"
            if name != "chan_gonet":  # a ratio to gonet compiled in the first column
                assert "\N{MULTIPLICATION SIGN}" in cells[0]
    assert "**chan_gonet**" in md  # the baseline is marked


def test_the_targets_table_has_every_target(run: tuple[str, Json, Path]) -> None:
    """test_the_targets_table_has_every_target: measured where the peer ran, said where not."""
    md, results, _ = run
    table = section(md, "## Goroutine and channel targets")
    rows = table[2:]
    assert [r.split("|")[1].strip()[: len(t)] for r, t in zip(rows, TARGET_ROWS, strict=True)] \
        == list(TARGET_ROWS)
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        needs_go = "Go" in cells[0]
        if needs_go and "chan_go" not in ran(results):
            assert cells[5].startswith("not measured")
        else:
            assert re.fullmatch(r"[\d,.]+\N{MULTIPLICATION SIGN}?", cells[3]), line
            assert cells[5] in ("yes", "**no**"), line


def test_the_interleaved_pair_reports_both_loops_and_their_ratio(
        run: tuple[str, Json, Path]) -> None:
    """Each select_pair run is one process with both loops: best rounds and their quotient."""
    _, results, _ = run
    for rec in results["workloads"]["chan_select_pair"]["runs"]:
        assert rec["rounds"] * rec["per_round"] <= rec["n"]
        assert rec["select_ns"] > 0 and rec["pingpong_ns"] > 0
        assert rec["ratio"] == pytest.approx(rec["select_ns"] / rec["pingpong_ns"])


def test_the_chart_is_written_when_matplotlib_is_there(run: tuple[str, Json, Path]) -> None:
    """test_the_chart_is_written_when_matplotlib_is_there: otherwise only the chart is skipped."""
    md, _, out = run
    chart = out / "chantest-chan.png"
    if importlib.util.find_spec("matplotlib") is None:
        assert not chart.exists()
        assert "chantest-chan.png" not in md
    else:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "(chantest-chan.png)" in md
