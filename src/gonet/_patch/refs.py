"""Early-bound references: modules that took the original objects before ``gonet.patch()``.

``from time import sleep`` or ``Lock = threading.Lock`` copies the object at
import time; patching the module attribute afterwards does not reach the
copy. :func:`find` looks for every copy of an original (one
``gc.get_referrers`` pass over all of them):

* a **module global under the original's own name** (``sleep``, ``Lock``,
  ``select``, ``getaddrinfo`` …: the ``from time import sleep`` pattern) is
  rebound to the replacement — safe, since every replacement behaves exactly
  as the original outside a goroutine;
* every other copy is reported, naming where it is: a global under another
  name (``_real_sleep = time.sleep`` is usually kept on purpose), a class
  attribute, a default argument, a closure cell, a subclass of a replaced
  class; ``gonet.patch()`` warns with the list and ``patch(check=True)``
  raises :class:`EarlyBindingError` before changing anything.

Modules that keep originals on purpose (gonet itself, other monkey-patching
libraries, ``selectors``, whose explicit classes stay the originals) are left
alone.
"""

from __future__ import annotations

import gc
import sys
import types
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EarlyBindingError", "Findings", "find"]

#: Module name prefixes whose copies of the originals are deliberate.
EXEMPT = ("gonet", "gevent", "eventlet", "selectors")


class EarlyBindingError(RuntimeError):
    """EarlyBindingError: ``patch(check=True)`` found copies of originals it cannot rebind."""


@dataclass
class Findings:
    """Findings lists the module globals to rebind and the copies that cannot be."""

    rebind: list[tuple[dict[str, Any], str, Any]] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)


def _exempt(modname: str) -> bool:
    return any(modname == p or modname.startswith(p + ".") for p in EXEMPT)


def _module_of(d: dict[str, Any]) -> str | None:
    """The module name if ``d`` is the globals of a loaded module."""
    name = d.get("__name__")
    if not isinstance(name, str):
        return None
    mod = sys.modules.get(name)
    if mod is not None and getattr(mod, "__dict__", None) is d:
        return name
    return None


def find(replacements: dict[int, tuple[Any, Any, str, frozenset[str]]],
         skip: set[tuple[str, str]]) -> Findings:
    """find locates the copies of each original in ``replacements``.

    ``replacements`` maps ``id(original)`` to ``(original, replacement,
    label, names)``; ``names`` are the global names rebound automatically.

    ``skip`` holds ``(module, attribute)`` pairs that ``patch`` handles itself
    (the canonical homes such as ``time.sleep``).
    """
    out = Findings()
    originals = [entry[0] for entry in replacements.values()]
    if not originals:
        return out
    # Every gc.get_referrers call walks the whole heap (tens of milliseconds in a large
    # program), so there are at most three: the copies; then, for the copies held by a
    # class dict, a defaults tuple or a closure cell, what holds those; then the functions
    # holding the closure tuples found.
    class_dicts: list[tuple[dict[str, Any], str, Any, tuple[Any, Any, str, frozenset[str]]]] = []
    defaults: list[tuple[Any, ...]] = []
    cells: list[tuple[types.CellType, tuple[Any, Any, str, frozenset[str]]]] = []
    for r in gc.get_referrers(*originals):
        if isinstance(r, dict):
            modname = _module_of(r)
            for key, value in list(r.items()):
                entry = replacements.get(id(value))
                if entry is None or entry[0] is not value or not isinstance(key, str):
                    continue
                if modname is None:
                    class_dicts.append((r, key, value, entry))
                elif (modname, key) in skip or _exempt(modname):
                    continue
                elif key in entry[3]:
                    out.rebind.append((r, key, entry[1]))
                else:
                    out.remaining.append(f"{modname}.{key} (a copy of {entry[2]})")
        elif isinstance(r, tuple):
            defaults.append(r)
        elif isinstance(r, types.CellType):
            entry = replacements.get(id(r.cell_contents))
            if entry is not None:
                cells.append((r, entry))
        elif isinstance(r, type):
            for base in r.__bases__:
                entry = replacements.get(id(base))
                if entry is not None and entry[0] is base and not _exempt(r.__module__):
                    out.remaining.append(f"{r.__module__}.{r.__qualname__} (subclass of {entry[2]})")
    held = [d for d, *_ in class_dicts] + defaults + [c for c, _ in cells]
    holders = gc.get_referrers(*held) if held else []
    for d, key, value, entry in class_dicts:
        owner = _class_owning(holders, d, key, value)
        if owner is not None and not _exempt(owner.__module__):
            out.remaining.append(
                f"{owner.__module__}.{owner.__qualname__}.{key} (class attribute: {entry[2]})")
    for t in defaults:
        for fn in holders:
            if (isinstance(fn, types.FunctionType) and fn.__defaults__ is t
                    and not _exempt(fn.__module__ or "")):
                names = [entry[2] for v in t if (entry := replacements.get(id(v))) is not None
                         and entry[0] is v]
                out.remaining.append(f"{fn.__module__}.{fn.__qualname__} (default argument: "
                                     f"{', '.join(names)})")
    if cells:
        closures = [t for t in holders if isinstance(t, tuple)
                    and any(x is c for c, _ in cells for x in t)]
        fns = [f for f in (gc.get_referrers(*closures) if closures else [])
               if isinstance(f, types.FunctionType) and f.__closure__ is not None]
        for c, entry in cells:
            for fn in fns:
                if any(x is c for x in fn.__closure__ or ()) and not _exempt(fn.__module__ or ""):
                    out.remaining.append(f"{fn.__module__}.{fn.__qualname__} (closure: {entry[2]})")
    out.remaining.sort()
    return out


def _class_owning(holders: list[Any], d: dict[str, Any], key: str, value: Any) -> type | None:
    """The class whose ``__dict__`` is ``d``, among ``d``'s referrers (a type references its dict)."""
    for r in holders:
        if isinstance(r, type) and r.__dict__.get(key) is value and len(r.__dict__) == len(d) \
                and any(x is d for x in gc.get_referents(r)):
            return r
    return None
