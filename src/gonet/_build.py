"""Which modules the compiled build compiles, and whether this process uses them.

A leaf module (standard library only): ``setup.py`` imports it to know what
to compile, and ``gonet/__init__.py`` imports it first to decide, before any
hot module is imported, between the compiled and the plain-Python modules.

All or nothing: the compiled modules share C types (``cimport``), so a process
uses every one of them or none. It uses none when ``GONET_PURE_PYTHON`` is set
(to anything but ``0``), when one is missing, or when one is older than its
``.py``/``.pxd`` source (an edited checkout whose build is stale); in that case
an import hook loads the ``.py`` files even though the extensions sit beside
them.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from types import ModuleType
from typing import Any

__all__ = ["COMPILED_MODULES", "select_build"]

#: The hot path, compiled together (each has a .pxd beside its .py).
COMPILED_MODULES = (
    "gonet._runtime.g",
    "gonet._runtime.sema",
    "gonet._runtime.chan",
    "gonet._runtime.selectgo",
    "gonet._runtime.sync",
    "gonet._runtime.netpoll",
    "gonet._runtime.proc",
    "gonet._poll.fd_mutex",
    "gonet._poll.fd_unix",
    "gonet.net.conn",
)

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def _paths(name: str) -> tuple[str, str | None]:
    base = os.path.join(os.path.dirname(_PKG_DIR), *name.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if os.path.exists(base + suffix):
            return base, base + suffix
    return base, None


def _compiled_usable() -> tuple[bool, str]:
    if os.environ.get("GONET_PURE_PYTHON", "0") not in ("", "0"):
        return False, "GONET_PURE_PYTHON is set"
    for name in COMPILED_MODULES:
        base, ext = _paths(name)
        if ext is None:
            return False, f"{name} is not compiled"
        built = os.path.getmtime(ext)
        for src in (base + ".py", base + ".pxd"):
            if os.path.exists(src) and os.path.getmtime(src) > built:
                return False, f"{name}: {os.path.basename(src)} is newer than its build (stale)"
    return True, "compiled"


class _PlainPythonFinder(importlib.abc.MetaPathFinder):
    """Finds the .py file of a compiled module, so the extension beside it is ignored."""

    def find_spec(self, fullname: str, path: Any = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILED_MODULES:
            return None
        base, _ = _paths(fullname)
        return importlib.util.spec_from_file_location(fullname, base + ".py")


def select_build() -> tuple[bool, str]:
    """select_build decides compiled or plain Python for this process; returns (compiled, why)."""
    compiled, why = _compiled_usable()
    if not compiled:
        if not any(isinstance(f, _PlainPythonFinder) for f in sys.meta_path):
            sys.meta_path.insert(0, _PlainPythonFinder())
        stale = "stale" in why
        if stale:
            warnings.warn(f"gonet: using the plain-Python modules: {why}; rebuild with "
                          "`pip install -e .` (or `make build`)", RuntimeWarning, stacklevel=3)
    return compiled, why
