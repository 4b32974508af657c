"""The layer rules of gonet's sources, as a checker that works on any source tree.

The tests run it on the real package and on small trees they build in
``tmp_path``, so the checker itself is tested against planted violations.

Layers, bottom up (``docs/design.md``, ``docs/spec.md``)::

    gonet._runtime  <-  gonet._poll  <-  gonet.net  <-  gonet (the facade)
                                                            ^
    gonet.http, gonet.tls (public API only)    gonet.patch / gonet._patch (may reach below)

* the lower layers import only their own layer, the ones below it and the
  type aliases of ``gonet._types`` — never the facade, ``gonet.testing`` or a
  package above the facade;
* ``gonet.http`` and ``gonet.tls`` import ``gonet`` and its public names,
  each other's public modules, ``gonet.testing``, the standard library and
  the third-party libraries ``pyproject.toml`` declares — never a private
  module, ``gonet.net`` or anything of ``gonet.patch`` — and read no private
  attribute off the facade either (``gonet._getsched``, ``gonet.net.conn``:
  reaching below without an import);
* the patch package (``gonet.patch`` or ``gonet._patch``) may reach below the
  facade, but not up into ``gonet.http``/``gonet.tls``, and declares its
  third-party libraries too;
* nothing in gonet imports the patch package except ``gonet/__init__.py``
  (which exposes ``gonet.patch()``) and the patch package itself.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

__all__ = [
    "ABOVE_FACADE",
    "LEAVES",
    "LOWER_LAYERS",
    "PATCH_PACKAGES",
    "declared_distributions",
    "facade_attributes",
    "imports",
    "layer_violations",
    "modules",
    "under",
]

#: The layers below the facade, bottom first.
LOWER_LAYERS = ("gonet._runtime", "gonet._poll", "gonet.net")
#: Packages above the facade that may use gonet's public API only.
ABOVE_FACADE = ("gonet.http", "gonet.tls")
#: The names the patch package may have (a public package, or a private one behind gonet.patch()).
PATCH_PACKAGES = ("gonet.patch", "gonet._patch")
#: Facade-level leaves every layer may import (type aliases only).
LEAVES = ("gonet._types",)


def under(name: str, prefix: str) -> bool:
    """under reports whether module ``name`` is ``prefix`` or inside it."""
    return name == prefix or name.startswith(prefix + ".")


def modules(root: Path) -> list[tuple[str, Path]]:
    """modules lists ``(module name, path)`` of every ``.py`` file of the ``gonet`` package in ``root``."""
    pkg = root / "gonet"
    out = []
    for path in sorted(pkg.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((".".join(parts), path))
    return out


def imports(modname: str, path: Path) -> list[tuple[str, int]]:
    """imports lists every module ``path`` imports (relative ones resolved), with line numbers.

    Imports under ``if TYPE_CHECKING:`` and inside functions count too: a layer
    must not even name what it may not use. ``from pkg import name`` yields
    both ``pkg`` and ``pkg.name`` (the name may be a submodule).
    """
    tree = ast.parse(path.read_text(), str(path))
    package = modname if path.name == "__init__.py" else modname.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, node.lineno))
            out += [(f"{target}.{a.name}", node.lineno) for a in node.names]
    return out


def facade_attributes(path: Path) -> list[tuple[str, int]]:
    """facade_attributes lists the attributes ``path`` reads off the ``gonet`` module, with line numbers.

    ``gonet.NAME`` through ``import gonet`` (or ``import gonet.x``, which
    binds ``gonet`` too) or an alias (``import gonet as g``: ``g.NAME``).
    """
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname is None and a.name.split(".")[0] == "gonet":
                    names.add("gonet")
                elif a.asname is not None and a.name == "gonet":
                    names.add(a.asname)
    return [(node.attr, node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in names]


def _below_facade_attribute(attr: str) -> bool:
    """A facade attribute that leads below it: private (not a dunder) or a lower layer."""
    if attr.startswith("__") and attr.endswith("__"):
        return False  # gonet.__version__
    return attr.startswith("_") or any(under(f"gonet.{attr}", layer) for layer in LOWER_LAYERS)


def _normalise(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def declared_distributions(pyproject: Path) -> set[str]:
    """declared_distributions is every distribution ``pyproject.toml`` names (dependencies and extras)."""
    project = tomllib.loads(pyproject.read_text())["project"]
    reqs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    out = set()
    for req in reqs:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
        if m:
            out.add(_normalise(m.group(1)))
    return out


def _third_party_ok(top: str, declared: set[str]) -> bool:
    dists = metadata.packages_distributions().get(top)
    if dists:
        return any(_normalise(d) in declared for d in dists)
    return _normalise(top) in declared  # an optional library that is not installed here


def _own_package(modname: str) -> str | None:
    for p in (*ABOVE_FACADE, *PATCH_PACKAGES):
        if under(modname, p):
            return p
    return None


def _is_public_path(name: str, package: str) -> bool:
    """A module of ``package`` that has no private (``_``) component after the package."""
    rest = name[len(package):].lstrip(".")
    return not any(part.startswith("_") for part in rest.split(".") if part)


def layer_violations(root: Path, public_names: set[str], declared: set[str]) -> list[str]:
    """layer_violations checks every module of ``root/gonet`` against the rules of this module.

    ``public_names`` is the facade's ``__all__`` (what ``from gonet import X``
    may name from above it); ``declared`` the distributions ``pyproject.toml``
    names. Returns one line per violating import, ``path:line: what``.
    """
    bad: list[str] = []
    for modname, path in modules(root):
        rel = path.relative_to(root).as_posix()
        own = _own_package(modname)
        if own in ABOVE_FACADE:
            bad += [f"{rel}:{line}: {modname} reaches below the facade (gonet.{attr}); "
                    "use gonet's public names"
                    for attr, line in facade_attributes(path) if _below_facade_attribute(attr)]
        for target, line in imports(modname, path):
            where = f"{rel}:{line}"
            top = target.split(".")[0]
            is_gonet = top == "gonet"
            to_patch = any(under(target, p) for p in PATCH_PACKAGES)
            # Rule: nothing imports the patch package but the facade's __init__ and itself.
            if to_patch and own not in PATCH_PACKAGES and modname != "gonet":
                bad.append(f"{where}: {modname} imports the patch package ({target}); "
                           "only gonet/__init__.py may")
                continue
            if any(under(modname, layer) for layer in LOWER_LAYERS):
                level = next(i for i, layer in enumerate(LOWER_LAYERS) if under(modname, layer))
                allowed = (*LOWER_LAYERS[:level + 1], *LEAVES)
                if is_gonet and not any(under(target, t) for t in allowed):
                    bad.append(f"{where}: {modname} imports upward ({target})")
                continue
            if own in ABOVE_FACADE:
                if not is_gonet:
                    if top not in sys.stdlib_module_names and not _third_party_ok(top, declared):
                        bad.append(f"{where}: {modname} imports {top}, which pyproject.toml "
                                   "does not declare")
                    continue
                if target == "gonet" or under(target, own) or under(target, "gonet.testing"):
                    continue
                peer = next((p for p in ABOVE_FACADE if under(target, p)), None)
                if peer is not None and _is_public_path(target, peer):
                    continue
                name = target.split(".")[1]
                if target.count(".") == 1 and name in public_names and not name.startswith("_"):
                    continue  # from gonet import dial
                bad.append(f"{where}: {modname} reaches below the facade ({target}); "
                           "use gonet's public names")
                continue
            if own in PATCH_PACKAGES:
                if not is_gonet:
                    if top not in sys.stdlib_module_names and not _third_party_ok(top, declared):
                        bad.append(f"{where}: {modname} imports {top}, which pyproject.toml "
                                   "does not declare")
                    continue
                if any(under(target, p) for p in ABOVE_FACADE):
                    bad.append(f"{where}: {modname} imports a package above the facade ({target})")
    return bad
