"""netpoll is the only owner of pollDesc state (issue 7: one owner per state machine).

Go keeps ``pollDesc`` opaque to ``internal/poll``: it holds a ``runtimeCtx``
and reaches the state only through ``runtime_pollReset/Wait/Unblock``. gonet's
``poll.FD``, ``RawConn``, the fork path and ``testing.socktest`` likewise go
through netpoll (``prepare``, ``wait_io``, ``evict``, ``latch_ready``,
``is_closing``, ``hung_up``): no module outside ``_runtime/netpoll.py`` and
its ``.pxd`` names a pollDesc's semaphores, tokens or flags.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gonet

PKG = Path(gonet.__file__).resolve().parent
#: The pollDesc fields whose transitions netpoll owns.
FIELDS = ("rg", "wg", "rtoken", "wtoken", "hup", "closing")
OWNER = {"_runtime/netpoll.py", "_runtime/netpoll.pxd", "_runtime/netpoll_twins.py"}


def _uses(path: Path) -> list[tuple[int, str]]:
    if path.suffix == ".py":
        tree = ast.parse(path.read_text(), str(path))
        return [(n.lineno, n.attr) for n in ast.walk(tree)
                if isinstance(n, ast.Attribute) and n.attr in FIELDS]
    pattern = re.compile(r"\.({})\b".format("|".join(FIELDS)))
    return [(i, m.group(1)) for i, line in enumerate(path.read_text().splitlines(), 1)
            for m in pattern.finditer(line.split("#")[0])]


def test_only_netpoll_touches_polldesc_fields() -> None:
    """No module but netpoll reads or writes rg/wg/rtoken/wtoken/hup/closing."""
    bad = []
    owned = 0
    for path in sorted([*PKG.rglob("*.py"), *PKG.rglob("*.pxd")]):
        rel = path.relative_to(PKG).as_posix()
        uses = _uses(path)
        if rel in OWNER:
            owned += len(uses)
            continue
        bad += [f"{rel}:{line} .{attr}" for line, attr in uses]
    assert owned > 20  # the scan sees netpoll's own uses
    assert not bad, "pollDesc fields outside netpoll:\n" + "\n".join(bad)
