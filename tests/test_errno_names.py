"""errno values are spelled by name under src/ (issue 7: ``errno.ECONNREFUSED``, never ``111``).

A literal errno number is wrong on another platform and unreadable on this
one. The checker below looks for the two ways one creeps in — an ``OSError``
(or one of its built-in subclasses) made with a number, and a number compared
with an ``errno`` — and is itself tested on planted examples.
"""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import gonet

SRC = Path(gonet.__file__).resolve().parent

#: OSError and its built-in subclasses (ConnectionRefusedError ...), plus socket's.
OS_ERRORS = frozenset({name for name, obj in vars(builtins).items()
                       if isinstance(obj, type) and issubclass(obj, OSError)}
                      | {"herror", "gaierror", "socket.error", "socket.herror", "socket.gaierror"})


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_is_number(e) for e in node.elts)
    return (isinstance(node, ast.Constant) and type(node.value) is int and node.value != 0)


def _is_errno(node: ast.AST) -> bool:
    return ((isinstance(node, ast.Attribute) and node.attr == "errno")
            or (isinstance(node, ast.Name) and node.id == "errno"))


def _callee(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f"{f.value.id}.{f.attr}"
    return ""


def literal_errnos(text: str, filename: str = "<src>") -> list[int]:
    """literal_errnos lists the lines of ``text`` (Python) that spell an errno as a number."""
    lines = []
    for node in ast.walk(ast.parse(text, filename)):
        if isinstance(node, ast.Call) and _callee(node) in OS_ERRORS and node.args \
                and _is_number(node.args[0]):
            lines.append(node.lineno)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_errno(s) for s in sides) and any(_is_number(s) for s in sides):
                lines.append(node.lineno)
    return sorted(lines)


#: Cython declarations: ``errno == 11``, ``errno != 4``.
_PXD_LITERAL = re.compile(r"\berrno\s*[=!]=\s*\d+|\b\d+\s*[=!]=\s*errno\b")


def test_src_spells_errnos_by_name() -> None:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        bad += [f"{path.relative_to(SRC)}:{n}" for n in literal_errnos(path.read_text(), str(path))]
    for path in sorted(SRC.rglob("*.pxd")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if _PXD_LITERAL.search(line):
                bad.append(f"{path.relative_to(SRC)}:{n}")
    assert not bad, "errno numbers instead of errno names:\n" + "\n".join(bad)


def test_checker_finds_planted_numbers() -> None:
    planted = (
        "import errno, socket\n"
        "raise ConnectionRefusedError(111, 'refused')\n"          # 2
        "raise OSError(errno.ECONNREFUSED, 'fine')\n"
        "if e.errno == 104: pass\n"                                # 4
        "if e.errno in (32, errno.EPIPE): pass\n"                  # 5
        "if e.errno == errno.EPIPE: pass\n"
        "if 11 == err.errno: pass\n"                               # 7
        "raise ProtocolError(414, 'an HTTP status, not an errno')\n"
        "if e.errno != 0: pass\n"
        "raise socket.herror(1, 'x')\n"                            # 10
    )
    assert literal_errnos(planted) == [2, 4, 5, 7, 10]
    assert _PXD_LITERAL.search("        if errno == 11:")
    assert not _PXD_LITERAL.search("        if errno == EAGAIN:")
    assert "ConnectionRefusedError" in OS_ERRORS and "gaierror" in OS_ERRORS
