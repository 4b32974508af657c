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
    referrers = gc.get_referrers(*originals)
    for r in referrers:
        if isinstance(r, dict):
            modname = _module_of(r)
            for key, value in list(r.items()):
                entry = replacements.get(id(value))
                if entry is None or entry[0] is not value or not isinstance(key, str):
                    continue
                if modname is not None:
                    if (modname, key) in skip or _exempt(modname):
                        continue
                    if key in entry[3]:
                        out.rebind.append((r, key, entry[1]))
                    else:
                        out.remaining.append(f"{modname}.{key} (a copy of {entry[2]})")
                    continue
                owner = _class_owning(r, key, value)
                if owner is not None:
                    if _exempt(owner.__module__):
                        continue
                    out.remaining.append(
                        f"{owner.__module__}.{owner.__qualname__}.{key} (class attribute: {entry[2]})")
        elif isinstance(r, tuple):
            for fn in _functions_with_defaults(r):
                if _exempt(fn.__module__ or ""):
                    continue
                names = [entry[2] for v in r if (entry := replacements.get(id(v))) is not None
                         and entry[0] is v]
                out.remaining.append(f"{fn.__module__}.{fn.__qualname__} (default argument: "
                                     f"{', '.join(names)})")
        elif isinstance(r, types.CellType):
            entry = replacements.get(id(r.cell_contents))
            for fn in _functions_with_cell(r):
                if entry is None or _exempt(fn.__module__ or ""):
                    continue
                out.remaining.append(f"{fn.__module__}.{fn.__qualname__} (closure: {entry[2]})")
        elif isinstance(r, type):
            for base in r.__bases__:
                entry = replacements.get(id(base))
                if entry is not None and entry[0] is base and not _exempt(r.__module__):
                    out.remaining.append(f"{r.__module__}.{r.__qualname__} (subclass of {entry[2]})")
    out.remaining.sort()
    return out


def _class_owning(d: dict[str, Any], key: str, value: Any) -> type | None:
    """The class whose ``__dict__`` is ``d`` (a type references its dict)."""
    for r in gc.get_referrers(d):
        if isinstance(r, type) and r.__dict__.get(key) is value and len(r.__dict__) == len(d):
            return r
    return None


def _functions_with_defaults(t: tuple[Any, ...]) -> list[types.FunctionType]:
    return [f for f in gc.get_referrers(t)
            if isinstance(f, types.FunctionType) and (f.__defaults__ is t)]


def _functions_with_cell(c: types.CellType) -> list[types.FunctionType]:
    out = []
    for t in gc.get_referrers(c):
        if isinstance(t, tuple):
            out += [f for f in gc.get_referrers(t)
                    if isinstance(f, types.FunctionType) and f.__closure__ is t]
    return out
