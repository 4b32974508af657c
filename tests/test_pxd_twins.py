"""A ``.pxd`` declares; where it carries a body, the plain build runs the same statements.

Issue 7's rule: a ``.pxd`` carries a function body only where the code cannot
be Python (C syscalls, C structs) or must be inlined across modules (onto a
parked goroutine's C stack), and then the plain ``.py`` twin is tested
against the same definition. This test is that check: every ``cdef inline``
function with a body in a ``.pxd`` either has a twin of the same name in the
``.py`` beside it whose statements are the same — once the Cython-only parts
(``cdef`` declarations of locals, ``<T>`` casts) are removed — or is listed in
:data:`C_ONLY` with the reason it cannot be Python.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import gonet

PKG = Path(gonet.__file__).resolve().parent

#: Inline functions that cannot be Python, with why and what covers their plain twin.
C_ONLY: dict[tuple[str, str], str] = {
    ("_runtime/g.pxd", "switch_to"): "greenlet's C API (PyGreenlet_Switch)",
    ("_runtime/g.pxd", "current_glet"): "greenlet's C API (PyGreenlet_GetCurrent)",
    ("_runtime/g.pxd", "set_parent"): "greenlet's C API (PyGreenlet_SetParent)",
    ("_runtime/g.pxd", "thread_ident"): "PyThread_get_thread_ident",
    ("_runtime/g.pxd", "greenlet_import"): "greenlet's C API table",
    ("_runtime/g.pxd", "install_allocator_caches"): "C allocator hooks",
    ("_runtime/g.pxd", "block_cache_installed"): "the C state of the hooks above (plain: False)",
    ("_runtime/g.pxd", "goroutine_entry"): "a C function setting CPython's thread-state "
                                           "data-stack fields (plain: the body itself)",
    ("_runtime/g.pxd", "root_chunk_bytes"): "the C constant of the entry above (plain: 0)",
    # Plain Python cannot take an object out of the cyclic GC: the twins do nothing, and
    # tests/test_goroutine_gc.py checks what the untracking must not break, in both builds.
    ("_runtime/gctrack.pxd", "untrack"): "PyObject_GC_UnTrack",
    ("_runtime/gctrack.pxd", "retrack"): "PyObject_GC_Track",
    ("_runtime/netpoll.pxd", "epoll_wait_into"): "epoll_wait(2) into a C struct array",
    ("_runtime/netpoll.pxd", "event_array"): "a C pointer to struct epoll_event",
    # The syscall helpers: recv(2)/send(2) on the raw descriptor. Their plain twins
    # (fd_syscall.py) are tested against them by behaviour, in both builds, through the
    # fault-injection seam both honour (tests/test_faults.py, tests/test_fault_seam.py).
    ("_poll/fd_unix.pxd", "_errno_error"): "errno and strerror(3)",
    ("_poll/fd_unix.pxd", "_fault"): "the syscall helpers' fault seam (errno as a C int)",
    ("_poll/fd_unix.pxd", "recv_bytes"): "recv(2) into the scratch buffer",
    ("_poll/fd_unix.pxd", "recv_into_buf"): "recv(2) into a Py_buffer",
    ("_poll/fd_unix.pxd", "send_buf"): "send(2) from a Py_buffer",
    ("_poll/fd_unix.pxd", "_send_raw"): "send(2) from a C pointer",
    # gonet.http's compiled fast path: byte loops over the raw buffer that accept only
    # what parse.py's regular expressions accept (anything else falls back to them, so
    # the regexes stay the one definition of every verdict). Tested against them by
    # behaviour in both builds: tests/test_http_fastpath.py (tables, the hostile
    # requests, the limits, hypothesis near-misses).
    ("http/_h1/parse.pxd", "_tchar"): "a byte-table test over a C unsigned char",
    ("http/_h1/parse.pxd", "_parse_fast"): "the C scanners' driver for a common head (plain: "
                                           "0, so every head takes the regular expressions)",
    ("http/_h1/parse.pxd", "_scan_request_line"): "a C pointer scan of the request line",
    ("http/_h1/parse.pxd", "_scan_fields"): "a C pointer scan of the header block, building "
                                            "its index",
    ("http/_h1/parse.pxd", "_find_head_end"): "a memchr(3) scan for the end of the head",
    ("http/_h1/parse.pxd", "_method_str"): "constant strs for the common methods (memcmp)",
    ("http/_h1/parse.pxd", "_known_name"): "constant strs for the common header names (memcmp)",
    ("http/response.pxd", "_join2"): "one PyBytes allocation and two memcpy (plain: a + b; "
                                      "every test of a response covers both)",
    ("http/_h1/serialize.pxd", "_same_second"): "time(2): a quick same-second check; the plain "
                                                "build always asks time.time() "
                                                "(tests/test_http_parser.py's DateCache test)",
    ("http/_h1/parse.pxd", "_host_chars_ok"): "a C scan of the Host value",
    ("http/conn.pxd", "_refs"): "Py_REFCNT (the plain twin is sys.getrefcount minus its "
                                 "own two references; tests/test_http_fastpath.py's "
                                 "kept-reference tests check both builds)",
    ("tls/lock.pxd", "thread_ident"): "PyThread_get_thread_ident (threading.get_ident in "
                                      "the plain build)",
    ("http/request.pxd", "_header_ok"): "a C scan of a header name and value "
                                         "(tested against check_header with hypothesis)",
}

_INLINE = re.compile(r"^cdef inline [^(]*?(\w+)\s*\(([^)]*)\)[^:]*:\s*$")
_CDEF_LOCAL = re.compile(r"^(\s*)cdef\s+(?:(?:unsigned|signed|long|short|const)\s+)*[\w.]+[\s*]+(.*)$")
_CAST = re.compile(r"<[A-Za-z_][\w.]*\s*\*?>(?=[\w(])")


def pxd_inline_functions(path: Path) -> dict[str, tuple[list[str], str]]:
    """The ``cdef inline`` functions with a body in ``path``: name -> (parameter names, body)."""
    lines = path.read_text().splitlines()
    out: dict[str, tuple[list[str], str]] = {}
    i = 0
    while i < len(lines):
        head = lines[i]
        i += 1
        if head.startswith("cdef inline "):
            # A signature may go on over several lines: join them until its parentheses close.
            while head.count("(") > head.count(")") and i < len(lines):
                head += " " + lines[i].strip()
                i += 1
        m = _INLINE.match(head)
        if not m:
            continue
        params = [p.split("=")[0].split()[-1].lstrip("*") for p in m.group(2).split(",") if p.strip()]
        body = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
            body.append(lines[i])
            i += 1
        out[m.group(1)] = (params, "\n".join(body))
    return out


def _split_top(s: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def as_python(body: str) -> str:
    """``body`` with the Cython-only parts removed: local declarations become assignments."""
    out = []
    for line in body.splitlines():
        line = line.split("  #")[0] if "  #" in line else line
        m = _CDEF_LOCAL.match(line)
        if m:
            for decl in _split_top(m.group(2)):
                if "=" in decl:
                    name, value = decl.split("=", 1)
                    out.append(_CAST.sub("", f"{m.group(1)}{name.strip()} = {value.strip()}"))
            continue
        out.append(_CAST.sub("", line))
    return textwrap.dedent("\n".join(out))


def py_functions(path: Path) -> dict[str, ast.FunctionDef]:
    """Top-level functions of a module, including those under ``if not cython.compiled:``."""
    tree = ast.parse(path.read_text(), str(path))
    found: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        nodes = node.body if isinstance(node, ast.If) else [node]
        for n in nodes:
            if isinstance(n, ast.FunctionDef):
                found[n.name] = n
    return found


def _statements(body: list[ast.stmt]) -> list[str]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return [ast.dump(s) for s in body]


def _pxds() -> list[Path]:
    return sorted(PKG.rglob("*.pxd"))


def test_every_inline_body_is_a_twin_or_c_only() -> None:
    """Each inline body in a .pxd matches its plain twin statement for statement, or is C-only."""
    bad = []
    checked = 0
    for pxd in _pxds():
        rel = pxd.relative_to(PKG).as_posix()
        twins = py_functions(pxd.with_suffix(".py"))
        extra = pxd.with_name(pxd.stem + "_twins.py")  # a module too long for its twins
        if extra.exists():
            twins.update(py_functions(extra))
        for name, (params, body) in pxd_inline_functions(pxd).items():
            if (rel, name) in C_ONLY:
                continue
            twin = twins.get(name)
            if twin is None:
                bad.append(f"{rel}: {name} has a body but no plain twin in {pxd.stem}.py "
                           "(and is not listed as C-only)")
                continue
            checked += 1
            if [a.arg for a in twin.args.args] != params:
                bad.append(f"{rel}: {name} parameters {params} != the twin's")
            fn = ast.parse(as_python(body))
            if _statements(fn.body) != _statements(twin.body):
                bad.append(f"{rel}: {name} differs from its plain twin in {pxd.stem}.py")
    assert checked >= 2  # the scan finds the real twins (prepare, wait_io ...)
    assert not bad, "\n".join(bad)


def test_a_signature_over_several_lines_is_seen(tmp_path: Path) -> None:
    """A ``cdef inline`` whose parameters wrap onto the next line is still found, body and all."""
    pxd = tmp_path / "m.pxd"
    pxd.write_text("cdef inline int f(int a,\n                  int b) except -1:\n"
                   "    return a + b\n")
    assert pxd_inline_functions(pxd) == {"f": (["a", "b"], "    return a + b")}


def test_c_only_entries_exist() -> None:
    """C_ONLY names only functions that exist (a stale entry would hide a new one)."""
    found = {(p.relative_to(PKG).as_posix(), name) for p in _pxds() for name in pxd_inline_functions(p)}
    assert set(C_ONLY) <= found, sorted(set(C_ONLY) - found)


def test_the_comparison_sees_a_difference() -> None:
    """The normalisation keeps statements: a changed constant is a difference."""
    a = ast.parse(as_python("    cdef int x = 1\n    cdef Goroutine g\n    g = <Goroutine>o\n    return x"))
    b = ast.parse("x = 1\ng = o\nreturn x")
    c = ast.parse("x = 2\ng = o\nreturn x")
    assert _statements(a.body) == _statements(b.body)
    assert _statements(a.body) != _statements(c.body)
