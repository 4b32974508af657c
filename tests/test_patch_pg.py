"""psycopg 3 and psycopg_pool under gonet.patch() against a throw-away PostgreSQL cluster.

The binary implementation runs in this process; ``PSYCOPG_IMPL=python`` is
chosen at import, so it runs the same checks in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import gonet
from patchpeers import patched, postgres_server

psycopg = pytest.importorskip("psycopg")
psycopg_pool = pytest.importorskip("psycopg_pool")

__all__ = ["patched"]

#: The checks, as a script: run here (binary impl) and in a subprocess (python impl).
CHECKS = textwrap.dedent('''
    import threading, time
    import gonet
    import psycopg, psycopg_pool

    def check_all(sockdir):
        dsn = f"host={sockdir} dbname=postgres user=postgres"
        gonet.patch()
        out = {"impl": psycopg.pq.__impl__}

        def sleepers():
            def one(i):
                with psycopg.connect(dsn) as c:
                    return c.execute("SELECT pg_sleep(0.2), %s::int", (i,)).fetchone()[1]
            t0 = time.monotonic()
            gs = [gonet.go(one, i) for i in range(50)]
            got = [g.join() for g in gs]
            assert got == list(range(50)), got
            return time.monotonic() - t0

        def transaction():
            with psycopg.connect(dsn) as c:
                c.execute("CREATE TEMP TABLE t (id int, name text)")
                with c.transaction():
                    for i in range(20):
                        c.execute("INSERT INTO t VALUES (%s, %s)", (i, f"row-{i}"))
                try:
                    with c.transaction():
                        c.execute("INSERT INTO t VALUES (999, 'rolled back')")
                        raise RuntimeError("abort")
                except RuntimeError:
                    pass
                return c.execute("SELECT id, name FROM t ORDER BY id").fetchall()

        def shared():
            # One connection, many goroutines: psycopg's connection lock (a hybrid
            # threading.Lock) serialises them; none deadlocks.
            with psycopg.connect(dsn, autocommit=True) as c:
                def use(i):
                    return c.execute("SELECT pg_sleep(0.01), %s::int", (i,)).fetchone()[1]
                gs = [gonet.go(use, i) for i in range(20)]
                return [g.join() for g in gs]

        def pooled():
            with psycopg_pool.ConnectionPool(dsn, min_size=2, max_size=10, open=False) as pool:
                pool.wait(timeout=30)
                def q(i):
                    with pool.connection() as c:
                        return c.execute("SELECT pg_sleep(0.1), %s::int", (i,)).fetchone()[1]
                t0 = time.monotonic()
                gs = [gonet.go(q, i) for i in range(40)]
                got = [g.join() for g in gs]
                return got, time.monotonic() - t0

        def main():
            ticks = []
            stop = []
            def tick():
                while not stop:
                    time.sleep(0.05)
                    ticks.append(1)
            tg = gonet.go(tick)
            try:
                out["sleepers"] = sleepers()
                out["rows"] = transaction()
                out["shared"] = shared()
                out["pooled"] = pooled()
            finally:
                stop.append(True)
                tg.join()
            out["ticks"] = len(ticks)

        gonet.run(main)
        # Outside a runtime, the original wait functions serve the same connection code.
        with psycopg.connect(dsn) as c:
            out["outside"] = c.execute("SELECT 41 + 1").fetchone()[0]
        return out
''')


def _assert_checks(out: dict[str, object]) -> None:
    assert out["sleepers"] < 5.0, f"50 x pg_sleep(0.2) took {out['sleepers']:.2f} s (serial: 10 s)"
    assert out["rows"] == [(i, f"row-{i}") for i in range(20)]
    assert out["shared"] == list(range(20))
    got, elapsed = out["pooled"]  # type: ignore[misc]
    assert got == list(range(40))
    assert elapsed < 10.0  # 40 x 0.1 s over 10 connections: about 0.4 s
    assert out["ticks"] >= 3  # the runtime kept running while goroutines waited on PostgreSQL
    assert out["outside"] == 42


@pytest.fixture(scope="module")
def pg() -> Iterator[str]:
    with postgres_server() as sockdir:
        yield sockdir


@pytest.mark.timeout(120)
def test_psycopg_binary_goroutines(pg: str) -> None:
    ns: dict[str, object] = {}
    exec(compile(CHECKS, "<pg checks>", "exec"), ns)
    try:
        out = ns["check_all"](pg)  # type: ignore[operator]
    finally:
        gonet.unpatch()
    assert out["impl"] in ("binary", "c", "python")
    _assert_checks(out)


@pytest.mark.timeout(180)
def test_psycopg_python_impl_goroutines(pg: str, tmp_path: Path) -> None:
    script = tmp_path / "pg_python_impl.py"
    script.write_text(CHECKS + textwrap.dedent('''
        import json, sys
        out = check_all(sys.argv[1])
        print(json.dumps(out))
    '''))
    env = dict(os.environ, PSYCOPG_IMPL="python")
    proc = subprocess.run([sys.executable, str(script), pg], env=env, capture_output=True,
                          text=True, timeout=170)
    assert proc.returncode == 0, proc.stderr
    import json

    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["impl"] == "python"
    out["rows"] = [tuple(r) for r in out["rows"]]
    _assert_checks(out)


def test_shim_leaves_waits_alone_outside_goroutines(patched: None, pg: str) -> None:
    from psycopg import waiting

    assert hasattr(waiting.wait, "gonet_original")
    with psycopg.connect(f"host={pg} dbname=postgres user=postgres") as c:
        t0 = time.monotonic()
        assert c.execute("SELECT 1").fetchone() == (1,)
        assert time.monotonic() - t0 < 10
    gonet.unpatch()
    assert not hasattr(waiting.wait, "gonet_original")


#: Run in a fresh interpreter: this one has imported psycopg already.
LAZY = '''
import sys
import gonet
hooks = list(sys.meta_path)
gonet.patch(psycopg=False)
assert sys.meta_path == hooks, "patch(psycopg=False) armed the import hook"
gonet.unpatch()
gonet.patch()
assert "psycopg" not in sys.modules, "gonet.patch() imported psycopg"
import psycopg
from psycopg import connection, waiting
assert hasattr(waiting.wait, "gonet_original") and hasattr(waiting.wait_conn, "gonet_original")
assert type(psycopg.__spec__.loader).__module__ != "gonet._patch.psycopg_shim"
assert sys.meta_path == hooks, "the import hook outlived the import"
gonet.unpatch()
assert not hasattr(waiting.wait, "gonet_original")
gonet.patch()  # psycopg is imported now: installed at once, as before
assert hasattr(waiting.wait, "gonet_original") and sys.meta_path == hooks
gonet.unpatch()
gonet.patch()
gonet.unpatch()  # armed and disarmed without an import: nothing left behind
assert sys.meta_path == hooks and not hasattr(waiting.wait, "gonet_original")
print("ok")
'''


@pytest.mark.timeout(60)
def test_patch_imports_psycopg_only_when_the_program_does() -> None:
    # The shim goes in when the program imports psycopg, not at patch(): a program
    # that never uses it (a redis client) does not load libpq at start-up.
    proc = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True,
                          timeout=50)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
