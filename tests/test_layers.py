"""Layer rules as tests (issue 7): imports go down, and the packages above the facade stay above it.

The rules and the checker live in ``tests/layercheck.py``. Here they run on
the real package — whatever subpackages exist on this branch — and on
fixture trees built in ``tmp_path`` with planted violations, so a checker
that stopped seeing violations would fail too. ``gonet.http``, ``gonet.tls``
and the patch package are checked when present; when absent, the test checks
that they really are absent and that nothing imports them (it never skips).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

import gonet
from layercheck import (
    ABOVE_FACADE,
    LOWER_LAYERS,
    PATCH_PACKAGES,
    declared_distributions,
    imports,
    layer_violations,
    modules,
    under,
)

PKG = Path(gonet.__file__).resolve().parent
ROOT = PKG.parent
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
PUBLIC = set(gonet.__all__)


def _declared() -> set[str]:
    return declared_distributions(PYPROJECT)


def _present(pkg: str) -> list[str]:
    """The module names of ``pkg`` (for the patch package: of either of its names) in the tree."""
    names = PATCH_PACKAGES if pkg in PATCH_PACKAGES else (pkg,)
    return [m for m, _ in modules(ROOT) if any(under(m, n) for n in names)]


# --- the real tree ----------------------------------------------------------------------


def test_module_discovery_sees_the_layers() -> None:
    names = {m for m, _ in modules(ROOT)}
    for m in ("gonet", "gonet._runtime.g", "gonet._runtime.proc", "gonet._runtime.netpoll_epoll",
              "gonet._runtime.timers", "gonet._poll.fd_unix", "gonet.net.conn", "gonet.testing"):
        assert m in names


def test_import_resolution() -> None:
    """The resolver: relative imports become the absolute names they mean."""
    imps = {n for n, _ in imports("gonet._poll.fd_unix", PKG / "_poll" / "fd_unix.py")}
    assert "gonet._runtime.netpoll" in imps
    assert "gonet._poll.fd_mutex" in imps


def test_the_tree_obeys_the_layer_rules() -> None:
    """Every module of this branch, the packages above the facade included."""
    bad = layer_violations(ROOT, PUBLIC, _declared())
    assert not bad, "layer rules broken:\n" + "\n".join(bad)


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_lower_layer_imports_only_go_down(layer: str) -> None:
    mods = [m for m, _ in modules(ROOT) if under(m, layer)]
    assert mods
    bad = [v for v in layer_violations(ROOT, PUBLIC, _declared())
           if any(v.split(":")[0] == _path_of(m) for m in mods)]
    assert not bad, f"{layer} imports upward:\n" + "\n".join(bad)


def _path_of(modname: str) -> str:
    return next(str(p.relative_to(ROOT)) for m, p in modules(ROOT) if m == modname)


@pytest.mark.parametrize("pkg", [*ABOVE_FACADE, "gonet.patch"])
def test_package_above_the_facade(pkg: str) -> None:
    """Present: its modules obey the rules and it imports. Absent: really absent, and unnamed."""
    mods = _present(pkg)
    if mods:
        bad = [v for v in layer_violations(ROOT, PUBLIC, _declared())
               if any(v.split(":")[0] == _path_of(m) for m in mods)]
        assert not bad, f"{pkg} breaks the layer rules:\n" + "\n".join(bad)
        for m in mods:
            if not m.rpartition(".")[2].startswith("__"):
                importlib.import_module(m)
        return
    names = PATCH_PACKAGES if pkg == "gonet.patch" else (pkg,)
    for n in names:
        assert importlib.util.find_spec(n) is None, f"{n} is importable but was not discovered"
    dangling = [f"{path.relative_to(ROOT)}:{line} imports {target}"
                for modname, path in modules(ROOT) for target, line in imports(modname, path)
                if any(under(target, n) for n in names)
                # gonet/__init__.py's own gonet.patch() function is a name, not the package
                and not (modname == "gonet" and target == "gonet.patch")]
    assert not dangling, f"{pkg} does not exist but is imported:\n" + "\n".join(dangling)


@pytest.mark.parametrize("leaf", ["_runtime/netpoll_epoll.py", "_runtime/timers.py"])
def test_leaf_modules_import_only_stdlib(leaf: str) -> None:
    path = PKG / leaf
    modname = "gonet." + leaf.removesuffix(".py").replace("/", ".")
    bad = [f"{leaf}:{line} imports {target}" for target, line in imports(modname, path)
           if target.split(".")[0] not in sys.stdlib_module_names]
    assert not bad, "a leaf imports beyond the standard library:\n" + "\n".join(bad)


# --- the checker, on planted violations ---------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for d in [p for p in root.rglob("*") if p.is_dir()]:
        init = d / "__init__.py"
        if not init.exists():
            init.write_text("")
    return root


FIXTURE = {
    "gonet/__init__.py": "from . import _patch\nfrom .net import dial\n",
    "gonet/_types.py": "",
    "gonet/_runtime/g.py": "import greenlet\nfrom .._types import X\n",
    "gonet/_runtime/bad.py": "from ..net import conn\nfrom .. import testing\nimport gonet\n"
                             "from ..http import server\n",
    "gonet/_poll/fd.py": "from .._runtime import g\n",
    "gonet/net/conn.py": "from .._poll import fd\nfrom .._patch import sockets\nfrom .. import echo\n",
    "gonet/echo.py": "import gonet\nfrom ._patch import locks\n",
    "gonet/testing/clock.py": "from .._runtime import g\n",
    # Above the facade, all fine:
    "gonet/http/good.py": "import gonet\nfrom gonet import dial, Conn\nfrom .. import listen\n"
                          "from . import parse\nfrom ..tls import client\nimport gonet.testing\n"
                          "import ssl, _socket\nimport greenlet\n",
    "gonet/http/parse.py": "",
    "gonet/tls/client.py": "import gonet\n",
    "gonet/tls/_record.py": "",
    # Above the facade, every line wrong:
    "gonet/http/bad.py": "from .._runtime import g\nfrom ..net import conn\nimport gonet._poll.fd\n"
                         "from gonet import not_public\nfrom .. import _types\nfrom ..tls import _record\n"
                         "from gonet import patch\nimport requests_not_declared\n",
    # ... and so is reading what lies below off the facade's attributes.
    "gonet/http/bad_attrs.py": "import gonet\nimport gonet as g\ngonet._getsched()\ng._runtime.proc\n"
                               "gonet.net.conn\ngonet.dial\ngonet.__version__\ngonet.testing\n"
                               "import gonet.testing\nx = gonet._patch\n",
    "gonet/tls/ok_attrs.py": "import gonet.testing\ngonet.Conn\ngonet.http\nimport gonet as g\ng.listen\n",
    # The patch package may reach below, not up.
    "gonet/_patch/sockets.py": "from .._poll import fd\nfrom .._runtime import g\nimport gonet\n"
                               "from . import locks\n",
    "gonet/_patch/locks.py": "from ..http import good\nimport not_declared_either\n",
}


def test_checker_flags_every_planted_violation(tmp_path: Path) -> None:
    root = _tree(tmp_path, FIXTURE)
    got = layer_violations(root, {"dial", "Conn", "listen", "patch"}, {"greenlet"})
    flagged = sorted({line.split(": ", 1)[0] for line in got})
    assert flagged == sorted([
        "gonet/_patch/locks.py:1", "gonet/_patch/locks.py:2",
        "gonet/_runtime/bad.py:1", "gonet/_runtime/bad.py:2", "gonet/_runtime/bad.py:3",
        "gonet/_runtime/bad.py:4",
        "gonet/echo.py:2",
        "gonet/http/bad.py:1", "gonet/http/bad.py:2", "gonet/http/bad.py:3",
        "gonet/http/bad.py:4", "gonet/http/bad.py:5", "gonet/http/bad.py:6",
        "gonet/http/bad.py:7", "gonet/http/bad.py:8",
        "gonet/http/bad_attrs.py:3", "gonet/http/bad_attrs.py:4", "gonet/http/bad_attrs.py:5",
        "gonet/http/bad_attrs.py:10",
        "gonet/net/conn.py:2", "gonet/net/conn.py:3",
    ]), "\n".join(got)
    text = "\n".join(got)
    assert "only gonet/__init__.py may" in text
    assert "reaches below the facade (gonet._runtime.g)" in text
    assert "requests_not_declared, which pyproject.toml does not declare" in text
    assert "imports a package above the facade (gonet.http.good)" in text
    assert "imports upward (gonet.echo)" in text
    assert "reaches below the facade (gonet._getsched)" in text
    assert "reaches below the facade (gonet.net)" in text


def test_checker_accepts_a_clean_tree(tmp_path: Path) -> None:
    clean = {k: v for k, v in FIXTURE.items() if "bad" not in k and "_patch/locks" not in k}
    clean["gonet/net/conn.py"] = "from .._poll import fd\nfrom .._types import X\n"
    clean["gonet/echo.py"] = "import gonet\n"
    clean["gonet/_patch/sockets.py"] = "from .._poll import fd\nfrom .._runtime import g\n"
    root = _tree(tmp_path, clean)
    assert layer_violations(root, {"dial", "Conn", "listen"}, {"greenlet"}) == []


def test_declared_distributions(tmp_path: Path) -> None:
    p = tmp_path / "pyproject.toml"
    p.write_text('[project]\nname = "x"\ndependencies = ["greenlet>=3.0"]\n'
                 '[project.optional-dependencies]\n'
                 'test = ["psycopg[binary]>=3.1", "Psycopg_Pool >= 3.2; python_version > \'3\'"]\n')
    assert declared_distributions(p) == {"greenlet", "psycopg", "psycopg-pool"}
    assert {"greenlet", "pytest"} <= _declared()
