"""The benchmark runner's round plan (bench/run.py), not its speed.

Each round starts one server later, so that across rounds every server runs
in every position: no server always runs first on a machine still settling,
or always right after the same neighbour.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import run

pytestmark = pytest.mark.timeout(30)


def test_each_round_starts_one_server_later() -> None:
    servers = ["a", "b", "c"]
    assert [run.rotated(servers, r) for r in range(4)] == [
        ["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]


def test_every_server_runs_in_every_position_once_over_as_many_rounds() -> None:
    servers = list(range(5))
    plans = [run.rotated(servers, r) for r in range(len(servers))]
    for plan in plans:
        assert sorted(plan) == servers
    for pos in range(len(servers)):
        assert sorted(plan[pos] for plan in plans) == servers


def test_no_servers_is_an_empty_round() -> None:
    assert run.rotated([], 3) == []
