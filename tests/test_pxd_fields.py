"""The field lists of the compiled build cannot drift from the plain one (issue 7).

Every ``cdef class`` in a ``.pxd`` under ``src/gonet`` declares its C fields;
the Python class of the same name in the ``.py`` beside it must list exactly
those names in ``__slots__``, so a misspelt or forgotten attribute fails in
both builds alike. Both sides are parsed (not imported), so the check is the
same whichever build runs the tests.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import gonet

PKG = Path(gonet.__file__).resolve().parent

_CLASS = re.compile(r"^cdef class (\w+)\s*(?:\(([\w.]+)\))?\s*:")
# A field: ``cdef [public|readonly] <type> name[, name...]`` inside a class, not a method.
_FIELD = re.compile(r"^\s+cdef\s+(?:public\s+|readonly\s+)?(?:[\w.]+\s+)+?(\w+(?:\s*,\s*\w+)*)\s*$")


def pxd_fields(text: str) -> dict[str, set[str]]:
    """pxd_fields maps each ``cdef class`` of a ``.pxd`` source to its declared field names."""
    classes: dict[str, set[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        code = line.split("#", 1)[0].rstrip()
        if not code.strip():
            continue
        m = _CLASS.match(code)
        if m:
            current = m.group(1)
            classes[current] = set()
            continue
        if not code.startswith((" ", "\t")):
            current = None
            continue
        if current is None or "(" in code:
            continue  # not in a class, or a method declaration
        f = _FIELD.match(code)
        if f:
            classes[current].update(n.strip() for n in f.group(1).split(","))
    return classes


def py_slots(path: Path) -> dict[str, set[str] | None]:
    """py_slots maps each class of a ``.py`` source to its literal ``__slots__`` (None: none)."""
    tree = ast.parse(path.read_text(), str(path))
    out: dict[str, set[str] | None] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        slots: set[str] | None = None
        for stmt in node.body:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == "__slots__"):
                value = ast.literal_eval(stmt.value)
                slots = {value} if isinstance(value, str) else set(value)
        out.setdefault(node.name, slots)
    return out


def _pxds() -> list[Path]:
    return sorted(PKG.rglob("*.pxd"))


def test_the_parser_reads_fields_and_skips_methods() -> None:
    text = ("cimport cython\n"
            "cdef int WAITING, DEAD\n"
            "cdef class A(B):\n"
            "    cdef public object x  # a comment\n"
            "    cdef readonly long long y\n"
            "    cdef Sched s, t\n"
            "    cdef object __weakref__\n"
            "    @cython.locals(g=Goroutine)\n"
            "    cpdef object run(self, str reason)\n"
            "    cdef bint _m(self) except -1\n"
            "\n"
            "cdef inline int f(A a):\n"
            "    cdef object local\n"
            "    return 0\n")
    assert pxd_fields(text) == {"A": {"x", "y", "s", "t", "__weakref__"}}


def test_every_pxd_is_seen() -> None:
    names = {p.relative_to(PKG).as_posix() for p in _pxds()}
    assert {"_runtime/g.pxd", "_runtime/proc.pxd", "_runtime/chan.pxd"} <= names
    assert sum(len(pxd_fields(p.read_text())) for p in _pxds()) >= 8


@pytest.mark.parametrize("pxd", _pxds(), ids=lambda p: p.relative_to(PKG).as_posix())
def test_cdef_fields_match_slots(pxd: Path) -> None:
    py = pxd.with_suffix(".py")
    assert py.is_file(), f"{pxd} has no .py twin"
    slots = py_slots(py)
    bad = []
    for cls, fields in pxd_fields(pxd.read_text()).items():
        if cls not in slots:
            bad.append(f"{cls}: no class of that name in {py.name}")
            continue
        have = slots[cls]
        if have is None:
            bad.append(f"{cls}: no __slots__ in {py.name} (the .pxd declares {sorted(fields)})")
        elif have != fields:
            bad.append(f"{cls}: only in the .pxd {sorted(fields - have)}, "
                       f"only in __slots__ {sorted(have - fields)}")
    assert not bad, f"{pxd.relative_to(PKG)}:\n" + "\n".join(bad)
