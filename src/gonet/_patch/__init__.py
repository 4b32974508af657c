"""gonet.patch(): the standard library's blocking calls park goroutines (explicit, idempotent).

This package is the implementation behind :func:`gonet.patch` and
:func:`gonet.unpatch` (``gonet`` imports it only when ``patch`` is called).
It is the one package allowed below the facade: it waits on foreign
descriptors through :mod:`gonet._poll.rawconn`. See ``docs/patch.md``.

Parts (each a keyword of ``patch``): ``socket`` (methods of
``socket.socket``), ``ssl`` (``SSLContext.sslsocket_class``), ``time``
(``time.sleep``), ``select`` (``select.select``, ``select.poll``,
``selectors.DefaultSelector``), ``threading`` (``Lock``, ``RLock``,
``_allocate_lock``, ``_thread.allocate_lock``/``RLock``, ``Thread.join``),
``queue`` (``queue.SimpleQueue``), ``dns`` (``getaddrinfo`` & co.),
``psycopg`` (the shim, if psycopg is installed).
"""

from __future__ import annotations

import _queue
import _thread
import queue as _queue_mod
import select as _select_mod
import socket as _socket_mod
import threading as _threading_mod
import time as _time_mod
import warnings
from typing import Any

from . import connecting, dns, locks, psycopg_shim, refs, sockets, threads, tls, waiting
from .refs import EarlyBindingError

__all__ = ["PARTS", "EarlyBindingError", "PatchWarning", "patch", "patched", "unpatch"]

PARTS = ("socket", "ssl", "time", "select", "threading", "queue", "dns", "psycopg")

#: (owner, attribute, original or _MISSING) in the order applied.
_saved: list[tuple[Any, str, Any]] = []
_applied: set[str] = set()
_MISSING = object()


class PatchWarning(UserWarning):
    """PatchWarning: ``gonet.patch()`` found copies of originals it could not rebind."""


def _entries(part: str) -> list[tuple[Any, str, Any]]:
    """(owner, attribute, replacement) for one part."""
    if part == "socket":
        return [(_socket_mod.socket, name, fn)
                for name, fn in [*sockets.PATCHES, *connecting.PATCHES]]
    if part == "ssl":
        return list(tls.PATCHES)
    if part == "time":
        return list(waiting.PATCHES_TIME)
    if part == "select":
        return list(waiting.PATCHES_SELECT)
    if part == "dns":
        return [(_socket_mod, name, fn) for name, fn in dns.PATCHES]
    if part == "threading":
        return [
            (_threading_mod, "Lock", locks.Lock),
            (_threading_mod, "_allocate_lock", locks.Lock),
            (_threading_mod, "_CRLock", locks.RLock),
            (_thread, "allocate_lock", locks.Lock),
            (_thread, "allocate", locks.Lock),
            (_thread, "RLock", locks.RLock),
            (_threading_mod.Thread, "join", threads.thread_join),
            (_threading_mod.Thread, "start", threads.thread_start),
        ]
    if part == "queue":
        return [(_queue_mod, "SimpleQueue", locks.SimpleQueue)]
    return []


#: Parts whose originals are searched for early-bound copies (selectors.DefaultSelector
#: is not: its original, EpollSelector, is also what explicit users name on purpose).
_SCANNED = {
    ("time", "sleep"), ("select", "select"), ("select", "poll"),
    ("threading", "Lock"), ("threading", "_CRLock"), ("queue", "SimpleQueue"),
    ("socket", "getaddrinfo"), ("socket", "gethostbyname"), ("socket", "gethostbyname_ex"),
    ("socket", "gethostbyaddr"), ("socket", "getnameinfo"),
}


#: Global names under which a copy is rebound automatically (see refs.py).
_ALIASES = {
    "Lock": frozenset({"Lock", "allocate_lock", "_allocate_lock", "allocate"}),
    "_CRLock": frozenset({"RLock", "_CRLock"}),
}


def patched() -> frozenset[str]:
    """patched returns the parts currently applied."""
    return frozenset(_applied)


def patch(*, socket: bool = True, ssl: bool = True, time: bool = True, select: bool = True,
          threading: bool = True, queue: bool = True, dns: bool = True, psycopg: bool = True,
          check: bool = False) -> None:
    """patch applies the selected parts (see ``gonet.patch``)."""
    wanted = {"socket": socket, "ssl": ssl, "time": time, "select": select,
              "threading": threading, "queue": queue, "dns": dns, "psycopg": psycopg}
    todo = [p for p in PARTS if wanted[p] and p not in _applied]
    if not todo:
        return
    entries = [(part, e) for part in todo for e in _entries(part)]
    replacements: dict[int, tuple[Any, Any, str, frozenset[str]]] = {}
    skip: set[tuple[str, str]] = {("_thread", "allocate_lock"), ("_thread", "allocate"),
                                  ("_thread", "RLock"), ("_queue", "SimpleQueue"),
                                  ("_socket", "gethostbyname"), ("_socket", "gethostbyname_ex"),
                                  ("_socket", "gethostbyaddr"), ("_socket", "getnameinfo"),
                                  ("_socket", "getaddrinfo")}
    for _, (owner, attr, new) in entries:
        modname = getattr(owner, "__name__", "")
        if isinstance(owner, type):
            continue
        skip.add((modname, attr))
        if (modname, attr) in _SCANNED:
            orig = getattr(owner, attr)
            names = _ALIASES.get(attr, frozenset({attr}))
            replacements[id(orig)] = (orig, new, f"{modname}.{attr}", names)
    findings = refs.find(replacements, skip)
    remaining = list(findings.remaining)
    if "queue" in todo:
        remaining += [f"{c.__module__}.{c.__qualname__} (subclass of queue.SimpleQueue)"
                      for c in _queue.SimpleQueue.__subclasses__()
                      if not refs._exempt(c.__module__)]
    if check and remaining:
        raise EarlyBindingError("gonet.patch(check=True): copies of the originals that cannot "
                                "be rebound: " + "; ".join(remaining))
    for _, (owner, attr, new) in entries:
        had = owner.__dict__.get(attr, _MISSING) if isinstance(owner, type) else getattr(
            owner, attr, _MISSING)
        _saved.append((owner, attr, had))
        setattr(owner, attr, new)
    for d, key, new in findings.rebind:
        _saved.append((d, key, d[key]))
        d[key] = new
    if "psycopg" in todo:
        psycopg_shim.install()
    _applied.update(todo)
    if remaining:
        warnings.warn(PatchWarning(
            "gonet.patch(): these hold the original objects and were not rebound (they will "
            "block the thread in a goroutine): " + "; ".join(remaining)), stacklevel=3)


def unpatch() -> None:
    """unpatch restores every original that :func:`patch` replaced or rebound."""
    psycopg_shim.uninstall()
    while _saved:
        owner, attr, orig = _saved.pop()
        if isinstance(owner, dict):
            owner[attr] = orig
        elif orig is _MISSING:
            try:
                delattr(owner, attr)
            except AttributeError:
                pass
        else:
            setattr(owner, attr, orig)
    _applied.clear()


# Referenced so that linters see the modules patched here as used.
_ = (_select_mod, _time_mod)
