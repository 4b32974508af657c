"""Which modules the compiled build compiles, and whether this process uses them.

A leaf module (standard library only): ``setup.py`` imports it to know what
to compile, and ``gonet/__init__.py`` imports it first to decide, before any
hot module is imported, between the compiled and the plain-Python modules.

All or nothing: the compiled modules share C types (``cimport``), so a process
uses every one of them or none. It uses none when ``GONET_PURE_PYTHON`` is set
(to anything but ``0``), when one is missing, or when an in-place build is
stale; in those cases an import hook loads the ``.py`` files even though the
extensions sit beside them.

Staleness. At build time ``setup.py`` records a digest of each compiled
module's ``.py`` and ``.pxd`` in ``_build_record.json`` beside the
extensions (:data:`BUILD_RECORD`). Only an in-place checkout is checked
against it: the package sits in ``src/`` next to ``setup.py`` (an editable
install, or ``setup.py build_ext --inplace``), the one place where someone
edits the sources the extensions were compiled from and can forget to
rebuild. An installed wheel is never checked: its ``.py`` files and
extensions were made from the same sources by the same build, and the
install writes them in no particular order (file modification times say
nothing there — pip writes a ``.py`` a few milliseconds after its ``.so``).
Content digests rather than times also keep a checkout compiled when git
touches a file without changing it.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from types import ModuleType
from typing import Any

__all__ = ["BUILD_RECORD", "COMPILED_MODULES", "select_build", "source_digests"]

#: The hot path, compiled together (each has a .pxd beside its .py).
COMPILED_MODULES = (
    "gonet._runtime.g",
    "gonet._runtime.allg",
    "gonet._runtime.sema",
    "gonet._runtime.sudog",
    "gonet._runtime.chan",
    "gonet._runtime.selectgo",
    "gonet._runtime.sync",
    "gonet._runtime.netpoll",
    "gonet._runtime.proc",
    "gonet._poll.fd_mutex",
    "gonet._poll.fd_unix",
    "gonet._poll.rawconn",
    "gonet.net.conn",
    # gonet.patch(): the hybrid locks every pooled client takes per request.
    "gonet._patch.locks",
    # redis-py builds and asks a select.poll() per command (can_read).
    "gonet._patch.polling",
    # The patched stream read and sendall of every request/response client.
    "gonet._patch.sockio",
    # gonet.http's request path (issue 8): parse, connection loop, request, response, WSGI.
    "gonet.http._h1.parse",
    "gonet.http._h1.serialize",
    "gonet.http.request",
    "gonet.http.response",
    "gonet.http.conn",
    "gonet.http.wsgienv",
    "gonet.http.wsgi",
    "gonet.tls.lock", "gonet.tls.readbuf", "gonet.tls.record", "gonet.tls.info", "gonet.tls.conn",
)

#: The file, beside the extensions, where the build records the digests of their sources.
BUILD_RECORD = "_build_record.json"

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def _paths(name: str, root: str) -> tuple[str, str | None]:
    base = os.path.join(root, *name.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if os.path.exists(base + suffix):
            return base, base + suffix
    return base, None


def source_digests(root: str) -> dict[str, str]:
    """source_digests maps each compiled module to a SHA-256 of its ``.py`` and ``.pxd``.

    ``root`` is the directory holding the ``gonet`` package (``src`` in a
    checkout). ``setup.py`` records these at build time; the in-place
    staleness check recomputes them.
    """
    digests = {}
    for name in COMPILED_MODULES:
        base = os.path.join(root, *name.split("."))
        h = hashlib.sha256()
        for suffix in (".py", ".pxd"):
            try:
                with open(base + suffix, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                data = b""
            h.update(f"{suffix}:{len(data)}:".encode())
            h.update(data)
        digests[name] = h.hexdigest()
    return digests


def _in_place_checkout(root: str) -> bool:
    """Whether the package sits in a source checkout (``src/`` beside ``setup.py``)."""
    return (os.path.basename(root) == "src"
            and os.path.exists(os.path.join(os.path.dirname(root), "setup.py")))


def _stale_in_place(root: str) -> str | None:
    """Why an in-place build no longer matches its sources, or None when it does."""
    try:
        with open(os.path.join(root, "gonet", BUILD_RECORD), encoding="utf-8") as f:
            recorded = json.load(f)["modules"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"the build has no readable {BUILD_RECORD} (stale)"
    current = source_digests(root)
    for name in COMPILED_MODULES:
        if recorded.get(name) != current[name]:
            leaf = name.rsplit(".", 1)[1]
            return f"{name}: {leaf}.py or {leaf}.pxd changed since its build (stale)"
    return None


def _compiled_usable() -> tuple[bool, str]:
    if os.environ.get("GONET_PURE_PYTHON", "0") not in ("", "0"):
        return False, "GONET_PURE_PYTHON is set"
    root = os.path.dirname(_PKG_DIR)
    for name in COMPILED_MODULES:
        if _paths(name, root)[1] is None:
            return False, f"{name} is not compiled"
    if _in_place_checkout(root):
        why = _stale_in_place(root)
        if why is not None:
            return False, why
    return True, "compiled"


class _PlainPythonFinder(importlib.abc.MetaPathFinder):
    """Finds the .py file of a compiled module, so the extension beside it is ignored."""

    def find_spec(self, fullname: str, path: Any = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILED_MODULES:
            return None
        base, _ = _paths(fullname, os.path.dirname(_PKG_DIR))
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
