"""The public surface and the structure of the sources (STYLE.md examples 2, 3, 6, 11, 12).

* every name of the contract's tables (``docs/spec.md``) is exported by ``gonet`` and
  listed in ``gonet.__all__``, and every name of ``__all__`` is in the contract;
* every public name and public method — of ``gonet`` and of each public subpackage
  that exists (``gonet.http``, ``gonet.tls``, ``gonet.patch``, ``gonet.testing``) —
  is documented, the docstring starting with the name, and fully annotated; a
  subpackage's names are in its own ``docs/<name>.md``;
* only the switch point (``g.py``) and the scheduler loop (``proc.py``) switch greenlets;
* no module is over 500 lines.

The layer rules (imports go down; the packages above the facade use its public
API only) are in ``test_layers.py``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import gonet
from layercheck import imports, modules

PKG = Path(gonet.__file__).resolve().parent
DOCS = Path(__file__).resolve().parents[1] / "docs"

#: Public subpackages whose ``__all__`` is held to the same rules as the facade's, when they exist.
SUBPACKAGES = ("gonet.http", "gonet.tls", "gonet.patch", "gonet.testing")

# --- the contract's tables (docs/spec.md) --------------------------------------------------

#: Top-level names the contract fixes.
CONTRACT_NAMES = [
    # Runtime
    "run", "go", "Goroutine", "sleep", "gosched", "blocking", "current", "GoroutineExit",
    # Channels and sync
    "Chan", "select", "WaitGroup", "Mutex", "after",
    # Networking
    "listen", "Listener", "dial", "Conn", "Addr", "listen_packet", "PacketConn",
    # Errors
    "ClosedError", "DeadlineExceededError", "ChanClosedError",
    # Observability
    "dump", "stats",
]

#: Methods and attributes the contract names on the public classes.
CONTRACT_MEMBERS = {
    "Goroutine": ["id", "join", "done"],
    "Chan": ["send", "recv", "close", "capacity", "__len__", "__iter__"],
    "WaitGroup": ["add", "done", "wait"],
    "Mutex": ["lock", "unlock", "__enter__", "__exit__"],
    "Listener": ["accept", "serve", "close", "addr", "set_deadline", "fileno",
                 "__enter__", "__exit__"],
    "Conn": ["read", "read_into", "write", "close", "close_write", "close_read",
             "local_addr", "remote_addr", "set_deadline", "set_read_deadline",
             "set_write_deadline", "set_nodelay", "set_keepalive", "fileno",
             "__enter__", "__exit__"],
    "Addr": ["network", "host", "port", "__str__"],
    "PacketConn": ["read_from", "write_to", "close", "local_addr", "set_deadline",
                   "set_read_deadline", "set_write_deadline"],
}


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_contract_name_exported_and_in_all(name: str) -> None:
    assert hasattr(gonet, name), f"gonet does not export {name}"
    assert name in gonet.__all__, f"{name} is missing from gonet.__all__"


@pytest.mark.parametrize(("cls", "member"),
                         [(c, m) for c, ms in CONTRACT_MEMBERS.items() for m in ms])
def test_contract_members_exist(cls: str, member: str) -> None:
    klass = getattr(gonet, cls)
    # Slotted attributes (Goroutine.id, Addr.host ...) show up as class-level descriptors.
    assert hasattr(klass, member), f"{cls}.{member} is missing"


def test_all_is_resolvable_and_unique() -> None:
    assert len(gonet.__all__) == len(set(gonet.__all__))
    for name in gonet.__all__:
        assert hasattr(gonet, name), f"__all__ lists {name}, which gonet does not define"


def test_error_hierarchy() -> None:
    assert issubclass(gonet.ClosedError, OSError)
    assert issubclass(gonet.DeadlineExceededError, TimeoutError)
    assert issubclass(gonet.ChanClosedError, Exception)
    assert issubclass(gonet.GoroutineExit, BaseException)
    assert not issubclass(gonet.GoroutineExit, Exception)  # `except Exception` must not eat it


def test_error_messages() -> None:
    assert "use of closed network connection" in str(gonet.ClosedError())
    assert str(gonet.DeadlineExceededError()) == "i/o timeout"


# --- docstrings and annotations ------------------------------------------------------------


def _public_members(klass: type) -> Iterator[tuple[str, Callable[..., Any]]]:
    """The public methods and properties a class defines itself (not its builtin bases)."""
    for k in klass.__mro__:
        if k is object or not k.__module__.startswith("gonet"):
            continue
        for mname, v in vars(k).items():
            if mname.startswith("_"):
                continue
            if isinstance(v, property) and v.fget is not None:
                yield mname, v.fget
            elif isinstance(v, (staticmethod, classmethod)):
                yield mname, v.__func__
            elif _is_function(v):
                yield mname, v
            elif inspect.isgetsetdescriptor(v) and v.__doc__:
                # A property of a class the compiled build turned into a cdef class
                # (its plain attributes are getsets without a docstring: skipped).
                yield mname, v


def _is_function(v: Any) -> bool:
    """A Python function, or a method of a class the compiled build turned into a cdef class."""
    return inspect.isfunction(v) or (inspect.isroutine(v) and callable(v))


def _is_annotatable(v: Any) -> bool:
    """A function whose annotations exist at run time (compiled methods keep only a text
    signature; their annotations are checked in the plain-Python run of this test)."""
    return inspect.isfunction(v) or type(v).__name__ == "cython_function_or_method"


def _public_modules() -> list[str]:
    """``gonet`` and every public subpackage of :data:`SUBPACKAGES` that exists on this branch."""
    return ["gonet", *(m for m in SUBPACKAGES if importlib.util.find_spec(m) is not None)]


def _module(name: str) -> ModuleType:
    mod = importlib.import_module(name)
    assert hasattr(mod, "__all__"), f"{name} has no __all__"
    return mod


def _documented_objects(modname: str = "gonet") -> Iterator[tuple[str, str, Any]]:
    """(qualified label, expected first word, object) for every public name and method.

    Constants (no callable, no class, no module) and type aliases cannot carry a
    docstring and are left out; they are still checked to be in the docs.
    """
    mod = _module(modname)
    seen: set[tuple[str, str]] = set()
    for name in mod.__all__:
        obj = getattr(mod, name)
        if not (callable(obj) or inspect.ismodule(obj)) or typing.get_origin(obj) is not None:
            continue  # constants and type aliases (``Handler = Callable[...]``) carry no docstring
        yield name, name, obj
        if inspect.isclass(obj):
            for mname, fn in _public_members(obj):
                if (name, mname) in seen:
                    continue
                seen.add((name, mname))
                yield f"{name}.{mname}", mname, fn


def _first_word_violations(modname: str = "gonet") -> list[str]:
    bad = []
    for label, expected, obj in _documented_objects(modname):
        doc = obj.__doc__
        if inspect.isclass(obj) and doc is not None and doc == inspect.getdoc(object):
            doc = None
        if not doc or not doc.strip():
            bad.append(f"{modname}.{label}: no docstring")
            continue
        if inspect.ismodule(obj):
            continue  # a module's docstring opens with its dotted name or the Go file it ports
        first = doc.strip().split()[0]
        if not re.match(rf"{re.escape(expected)}\b", first):
            bad.append(f"{modname}.{label}: docstring starts with {first!r}, not {expected!r}")
    return bad


@pytest.mark.parametrize("modname", _public_modules())
def test_every_public_name_and_method_is_documented_starting_with_its_name(modname: str) -> None:
    """STYLE.md example 11: the first sentence starts with the name."""
    bad = _first_word_violations(modname)
    assert not bad, "docstrings not starting with the name:\n" + "\n".join(bad)


def test_docstring_check_covers_methods() -> None:
    """The check above really looks at methods and properties, not just top-level names."""
    labels = {label for label, _, _ in _documented_objects()}
    for label in ("Conn.read", "Conn.local_addr", "Listener.accept", "Chan.send",
                  "Mutex.lock", "WaitGroup.wait", "Goroutine.join", "PacketConn.read_from"):
        assert label in labels
    assert "gonet.testing" in _public_modules()  # the subpackage walk has at least one to walk
    assert "MockClock.jump" in {label for label, _, _ in _documented_objects("gonet.testing")}


def _annotation_violations(fn: Callable[..., Any], label: str) -> list[str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return [f"{label}: no signature"]
    bad = []
    for i, p in enumerate(sig.parameters.values()):
        if i == 0 and p.name in ("self", "cls"):
            continue
        if p.annotation is inspect.Parameter.empty:
            bad.append(f"{label}: parameter {p.name!r} is not annotated")
    if sig.return_annotation is inspect.Signature.empty:
        bad.append(f"{label}: no return annotation")
    return bad


@pytest.mark.parametrize("modname", _public_modules())
def test_public_functions_and_methods_are_annotated(modname: str) -> None:
    bad: list[str] = []
    checked = 0
    for label, _, obj in _documented_objects(modname):
        if _is_annotatable(obj):
            bad += _annotation_violations(obj, f"{modname}.{label}")
            checked += 1
        elif inspect.isclass(obj) and "__init__" in vars(obj) and _is_annotatable(
                vars(obj)["__init__"]):
            bad += _annotation_violations(vars(obj)["__init__"], f"{modname}.{label}.__init__")
            checked += 1
    # The walk reached the functions and the methods (fewer compiled: see _is_annotatable).
    assert checked > ((25 if gonet.COMPILED else 40) if modname == "gonet" else 0)
    assert not bad, "missing annotations:\n" + "\n".join(bad)


def _doc_pages(modname: str) -> list[Path]:
    """The pages that document ``modname``'s names: the contract, and a package's own page."""
    pages = [DOCS / "spec.md"]
    if modname not in ("gonet", "gonet.testing"):
        pages.append(DOCS / f"{modname.rpartition('.')[2]}.md")
    return pages


def _code_spans(text: str) -> set[str]:
    """Every identifier that appears inside a `code span` of a markdown page."""
    words: set[str] = set()
    fences = re.compile(r"^```.*?^```", re.S | re.M)
    for block in fences.findall(text):  # fenced blocks count as code as a whole
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", block))
    for span in re.findall(r"`([^`\n]+)`", fences.sub("", text)):
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", span))
    return words


@pytest.mark.parametrize("modname", _public_modules())
def test_every_public_name_is_in_the_docs(modname: str) -> None:
    """Each name of ``__all__`` appears (as code) in docs/spec.md or the package's own page."""
    pages = _doc_pages(modname)
    words: set[str] = set()
    for page in pages:
        assert page.is_file(), f"{modname} has no page: {page.relative_to(DOCS.parent)}"
        words |= _code_spans(page.read_text())
    missing = [n for n in _module(modname).__all__ if n not in words]
    shown = " / ".join(str(p.relative_to(DOCS.parent)) for p in pages)
    assert not missing, f"{shown} do not mention: {', '.join(missing)}"


def test_docs_cite_the_contract_in_the_project() -> None:
    """README, docs, sources and tests point to docs/spec.md, not a contract outside the repository."""
    old = "SPEC" + ".md"  # spelt apart so this file does not cite it itself
    repo = DOCS.parent
    files = [repo / "README.md", *DOCS.glob("*.md"), *PKG.rglob("*.py"),
             *(repo / "tests").glob("*.py")]
    citing = [str(f.relative_to(repo)) for f in files if old in f.read_text()]
    assert not citing, f"{old} is cited by: {', '.join(citing)}"
    assert (DOCS / "spec.md").is_file()


# --- the sources ---------------------------------------------------------------------------


def _modules() -> list[tuple[str, Path]]:
    return modules(PKG.parent)


#: The names whose calls switch greenlets: greenlet's methods, g.pxd's inline
#: ``switch_to`` (its plain twin in g.py) and the C API it wraps.
SWITCH_METHODS = ("switch", "throw")
SWITCH_FUNCTIONS = ("switch_to", "PyGreenlet_Switch")
_PXD_SWITCH = re.compile(r"\.(switch|throw)\s*\(|\b(switch_to|PyGreenlet_Switch)\s*\(")


def _switch_calls(path: Path) -> list[tuple[int, str, list[str]]]:
    """Calls of ``<expr>.switch/throw(...)`` and ``switch_to(...)``, with the enclosing defs."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str, list[str]]] = []

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, [*scope, child.name])
                continue
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr in SWITCH_METHODS):
                found.append((child.lineno, child.func.attr, scope))
            elif (isinstance(child, ast.Call) and isinstance(child.func, ast.Name)
                    and child.func.id in SWITCH_FUNCTIONS):
                found.append((child.lineno, child.func.id, scope))
            visit(child, scope)

    visit(tree, [])
    return found


def test_only_g_and_the_scheduler_switch_greenlets() -> None:
    """STYLE.md example 6: g.py (gopark/goready) and proc.py's scheduler are the switch points."""
    bad = []
    total = 0
    for _, path in _modules():
        rel = path.relative_to(PKG).as_posix()
        for line, attr, scope in _switch_calls(path):
            total += 1
            if rel == "_runtime/g.py":
                continue
            if rel == "_runtime/proc.py" and scope[:1] == ["Runtime"]:
                continue  # the scheduler loop and shutdown, methods of Runtime
            bad.append(f"{rel}:{line} calls .{attr}() in {'.'.join(scope) or '<module>'}")
    assert total > 0  # the scan finds the real switch points
    assert not bad, "greenlet switches outside g.py / the scheduler:\n" + "\n".join(bad)


def _pxd_switch_calls(path: Path) -> list[tuple[int, str]]:
    """Switching calls in a .pxd (Cython source: scanned as text, comments dropped)."""
    found = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        code = line.split("#")[0]
        if re.match(r"\s*(cdef\s+inline\s+)?object\s+(switch_to|PyGreenlet_Switch)\s*\(", code):
            continue  # a declaration or definition, not a call
        found += [(i, m.group(1) or m.group(2)) for m in _PXD_SWITCH.finditer(code)]
    return found


def test_pxd_files_switch_only_in_g() -> None:
    """The switch-point rule holds for .pxd bodies too: only g.pxd's switch_to switches."""
    bad = []
    total = 0
    for path in sorted(PKG.rglob("*.pxd")):
        rel = path.relative_to(PKG).as_posix()
        for line, name in _pxd_switch_calls(path):
            total += 1
            if rel != "_runtime/g.pxd":
                bad.append(f"{rel}:{line} calls {name}()")
    assert total > 0  # g.pxd's switch_to calls PyGreenlet_Switch
    assert not bad, "greenlet switches in .pxd files outside g.pxd:\n" + "\n".join(bad)


def test_no_module_over_500_lines() -> None:
    """STYLE.md example 12 and DESIGN.md: modules stay under ~500 lines."""
    long = []
    for _, path in _modules():
        n = len(path.read_text().splitlines())
        if n > 500:
            long.append(f"{path.relative_to(PKG)}: {n} lines")
    assert not long, "modules over 500 lines:\n" + "\n".join(long)


def test_every_module_has_a_docstring() -> None:
    bad = []
    for _, path in _modules():
        tree = ast.parse(path.read_text(), str(path))
        if not ast.get_docstring(tree):
            bad.append(str(path.relative_to(PKG)))
    assert not bad, "modules without a docstring:\n" + "\n".join(bad)


# --- the checkers catch what they look for -------------------------------------------------


def test_checkers_flag_synthetic_violations(tmp_path: Path) -> None:
    """The scanners above are not vacuous: they flag a planted violation."""
    pkg = tmp_path / "gonet" / "_runtime"
    pkg.mkdir(parents=True)
    bad = pkg / "bad.py"
    bad.write_text(
        "from ..net import conn\n"
        "from .. import testing\n"
        "import greenlet\n"
        "def f(g):\n"
        "    g.glet.switch()\n"
        "    g.glet.throw(ValueError())\n"
    )
    imps = {n for n, _ in imports("gonet._runtime.bad", bad)}
    assert "gonet.net" in imps
    assert "gonet.testing" in imps
    assert "greenlet" in imps
    assert [(attr, scope) for _, attr, scope in _switch_calls(bad)] == [
        ("switch", ["f"]), ("throw", ["f"])]
    undocumented = type("Undocumented", (), {"__module__": "gonet.fake", "meth": lambda self: 1})
    assert [m for m, _ in _public_members(undocumented)] == ["meth"]
    assert _code_spans("a `x.y` b\n```\nfenced(z)\n```\n`w`, not v") == {"x", "y", "fenced", "z", "w"}
    assert _annotation_violations(lambda x: x, "f") == [
        "f: parameter 'x' is not annotated", "f: no return annotation"]
