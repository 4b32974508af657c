"""The two builds: the Cython-compiled hot path and plain Python (GONET_PURE_PYTHON=1).

`make test` runs the suite once in each; these tests make sure each run really
exercised the build it claims to.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys

import pytest

import gonet
from gonet._build import COMPILED_MODULES


def _pure_requested() -> bool:
    return os.environ.get("GONET_PURE_PYTHON", "0") not in ("", "0")


def test_build_matches_the_request() -> None:
    files = {name: importlib.import_module(name).__file__ or "" for name in COMPILED_MODULES}
    if _pure_requested():
        assert gonet.COMPILED is False
        assert all(f.endswith(".py") for f in files.values()), files
        return
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.fail("no C compiler: this run cannot test the compiled build")  # pragma: no cover
    assert gonet.COMPILED, f"expected the compiled hot path: {gonet.BUILD}"
    assert all(not f.endswith(".py") for f in files.values()), files


def test_all_or_nothing() -> None:
    # The compiled modules share C types: a process uses all of them or none.
    kinds = {importlib.import_module(n).__file__.endswith(".py") for n in COMPILED_MODULES}  # type: ignore[union-attr]
    assert len(kinds) == 1


def test_pure_python_switch_in_a_fresh_process() -> None:
    code = ("import gonet, gonet._runtime.g as g; "
            "print(gonet.COMPILED, g.__file__.endswith('.py'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "GONET_PURE_PYTHON": "1"}, check=True).stdout
    assert out.split() == ["False", "True"]
