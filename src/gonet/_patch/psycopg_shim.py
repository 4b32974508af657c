"""psycopg 3: its wait functions, made to park goroutines (``psycopg.waiting.wait``/``wait_conn``).

psycopg drives libpq through generators that yield "wait for fd readable /
writable" and chooses, at import, a function that consumes them by waiting
in C (``wait_c``, a ``poll()`` loop in the binary build) or with
``select.poll`` (``PSYCOPG_IMPL=python``). Neither can be reached by patching
``select``: ``wait_c`` never calls Python. So the shim replaces
``psycopg.waiting.wait`` and ``wait_conn`` — looked up as module attributes by
``psycopg.connection`` since 3.1, and rebound where a module bound them by
name — with functions that decide per call: in a goroutine they consume the
generator with the netpoller (libpq's descriptor is registered only while
waiting: libpq closes it without telling anyone); everywhere else they are
the functions psycopg chose. Works for both implementations, since both
yield from the same kind of generator.

Version check: psycopg 3.1 or later (where the generators accept a
``Ready.NONE`` answer to a wait that timed out after ``interval``).

Lazily: ``gonet.patch()`` does not import psycopg for a program that does not
(importing it loads libpq and its bundled libraries: a sixth of a second of
CPU, seconds of disk reads when cold, and their teardown at exit — a redis
client paid all of it). If psycopg is not imported yet, :func:`install` puts a
finder at the front of ``sys.meta_path`` that wraps the loader of the
``psycopg`` package, so the shim goes in the moment the package has finished
executing, before the importer sees the module — the same state as if
psycopg had been imported before ``patch()``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import select
import sys
import time
import warnings
from types import ModuleType
from typing import Any

from .._poll.rawconn import WAIT_OK, wait_fd
from ._g import current_g
from .waiting import wait_events

__all__ = ["install", "supported", "uninstall"]

_saved: list[tuple[Any, str, Any]] = []
#: The finder waiting for ``import psycopg`` (see the module docstring), or None.
_hook: _ImportHook | None = None


def supported(version: str) -> bool:
    """supported reports whether this shim knows psycopg ``version`` (3.1 up to 3.x)."""
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        return False
    return major == 3 and minor >= 1


def _make(waiting: Any, orig_wait: Any, orig_wait_conn: Any) -> tuple[Any, Any]:
    Ready, Wait = waiting.Ready, waiting.Wait
    wait_r, wait_w = Wait.R, Wait.W
    ready_none, ready_r, ready_w, ready_rw = Ready.NONE, Ready.R, Ready.W, Ready.RW
    errors = sys.modules.get("psycopg.errors")
    wait_timeout = getattr(errors, "_WaitTimeout", None)

    def wait_ready(fileno: int, s: Any, seconds: float | None) -> Any:
        """Park until ``fileno`` is ready as ``s`` asks, or ``seconds`` pass (Ready.NONE)."""
        g = current_g()
        rt: Any = g.sched  # type: ignore[union-attr]
        deadline = rt.clock.now() + seconds if seconds is not None else None
        if s in (wait_r, wait_w):
            write = s == wait_w
            if wait_fd(fileno, write, deadline) != WAIT_OK:
                return ready_none
            return ready_w if write else ready_r
        # Both directions: a large query being sent while the server talks back.
        if not wait_events({fileno: select.EPOLLIN | select.EPOLLOUT}, seconds):
            return ready_none
        p = select.poll()
        p.register(fileno, select.POLLIN | select.POLLOUT)
        evs = p.poll(0)
        ev = evs[0][1] if evs else 0
        r = (ev & (select.POLLIN | select.POLLHUP | select.POLLERR)) != 0
        w = (ev & select.POLLOUT) != 0
        return ready_rw if r and w else ready_r if r else ready_w if w else ready_none

    def step(interval: float | None, deadline: float | None) -> float | None:
        """How long one wait may last: psycopg's interval, never past its deadline."""
        t = interval if interval else None
        if deadline is not None:
            left = max(0.0, deadline - time.monotonic())
            t = left if t is None else min(t, left)
        return t

    def expired(deadline: float | None) -> None:
        # Checked after resuming the generator, as psycopg does, so data that
        # is already there is processed and a timeout of 0 polls once.
        if deadline is not None and time.monotonic() >= deadline:
            if wait_timeout is None:
                raise TimeoutError("wait timeout expired")
            raise wait_timeout("wait timeout expired")

    def wait(gen: Any, fileno: int, interval: float | None = 0.0,
             timeout: float | None = None) -> Any:
        """wait consumes a psycopg generator; a goroutine parks on the connection's socket."""
        if current_g() is None:
            if timeout is None:
                return orig_wait(gen, fileno, interval=interval)
            return orig_wait(gen, fileno, interval=interval, timeout=timeout)
        deadline = time.monotonic() + timeout if timeout is not None else None
        try:
            s = next(gen)
            while True:
                ready = wait_ready(fileno, s, step(interval, deadline))
                nxt = gen.send(ready)
                if ready != ready_none:
                    s = nxt
                expired(deadline)
        except StopIteration as ex:
            return ex.value

    def wait_conn(gen: Any, interval: float | None = 0.0, timeout: float | None = None) -> Any:
        """wait_conn consumes a connection generator (whose socket may change) cooperatively."""
        if current_g() is None:
            if timeout is None:
                return orig_wait_conn(gen, interval=interval)
            return orig_wait_conn(gen, interval=interval, timeout=timeout)
        deadline = time.monotonic() + timeout if timeout is not None else None
        try:
            fileno, s = next(gen)
            while True:
                ready = wait_ready(fileno, s, step(interval, deadline))
                nxt = gen.send(ready)
                if ready != ready_none:
                    fileno, s = nxt
                expired(deadline)
        except StopIteration as ex:
            return ex.value

    wait.gonet_original = orig_wait  # type: ignore[attr-defined]
    wait_conn.gonet_original = orig_wait_conn  # type: ignore[attr-defined]
    return wait, wait_conn


class _ImportHook(importlib.abc.MetaPathFinder):
    """_ImportHook installs the shim when the ``psycopg`` package has just been imported."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        """find_spec finds ``psycopg`` with the other finders and wraps its loader."""
        if fullname != "psycopg" or self is not _hook:
            return None
        spec = None
        for finder in sys.meta_path:  # the rest, in the import system's own order
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(spec.loader)
        return spec


class _Loader(importlib.abc.Loader):
    """_Loader runs psycopg's own loader, then installs the shim (once the package is whole)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def create_module(self, spec: Any) -> ModuleType | None:
        """create_module is the wrapped loader's."""
        return self.inner.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        """exec_module executes the package, then installs the shim if patch() still wants it."""
        # importlib.reload and resource readers see psycopg's own loader.
        if module.__spec__ is not None:
            module.__spec__.loader = self.inner
        module.__loader__ = self.inner
        self.inner.exec_module(module)
        if _hook is not None:
            _disarm()
            _install_now()

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self.inner, name)


def _disarm() -> None:
    global _hook
    if _hook is not None:
        try:
            sys.meta_path.remove(_hook)
        except ValueError:
            pass
        _hook = None


def install() -> bool:
    """install replaces psycopg's wait functions now, or when psycopg is imported.

    Returns False when psycopg is not installed or its version is not supported
    (with a warning), True otherwise.
    """
    global _hook
    if _saved or _hook is not None:
        return True
    if "psycopg" not in sys.modules:
        if importlib.machinery.PathFinder.find_spec("psycopg") is None:
            return False
        _hook = _ImportHook()
        sys.meta_path.insert(0, _hook)
        return True
    return _install_now()


def _install_now() -> bool:
    """_install_now replaces the wait functions of the imported psycopg."""
    try:
        import psycopg
        from psycopg import waiting
    except ImportError:
        return False
    if not supported(getattr(psycopg, "__version__", "")) or not hasattr(waiting, "wait_conn"):
        warnings.warn(f"gonet.patch: psycopg {getattr(psycopg, '__version__', '?')} is not "
                      "supported by the shim (3.1+); its waits block the thread", stacklevel=3)
        return False
    orig_wait, orig_wait_conn = waiting.wait, waiting.wait_conn
    wait, wait_conn = _make(waiting, orig_wait, orig_wait_conn)
    for name, mod in list(sys.modules.items()):
        if mod is None or not (name == "psycopg" or name.startswith("psycopg.")):
            continue
        for attr, orig, new in (("wait", orig_wait, wait), ("wait_conn", orig_wait_conn, wait_conn)):
            if getattr(mod, attr, None) is orig:
                _saved.append((mod, attr, orig))
                setattr(mod, attr, new)
    return True


def uninstall() -> None:
    """uninstall puts psycopg's own wait functions back (or stops waiting for its import)."""
    _disarm()
    while _saved:
        mod, attr, orig = _saved.pop()
        setattr(mod, attr, orig)
