"""gonet: Go's network I/O model in Python.

Write plain blocking code — one goroutine per connection — and the runtime
runs thousands of them on one OS thread over an edge-triggered epoll
netpoller, as Go does. See ``docs/spec.md`` for the contract and
``docs/design.md`` for how it is built::

    import gonet

    def handle(conn):
        while data := conn.read():
            conn.write(data)

    def main():
        with gonet.listen("tcp", ":8000") as ln:
            ln.serve(handle)

    gonet.run(main)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

# First: choose the compiled or the plain-Python hot modules (see _build.py).
from ._build import select_build as _select_build

#: COMPILED tells whether this process runs the Cython-compiled hot path.
COMPILED, BUILD = _select_build()

from ._poll.fd import ClosedError, DeadlineExceededError
from ._runtime.blocking import set_max_blocking
from ._runtime.callin import RuntimeHandle, current_runtime, from_thread, from_thread_nowait
from ._runtime.chan import Chan, ChanClosedError, after
from ._runtime.debug import dump_all as _dump_all
from ._runtime.debug import statistics as _statistics
from ._runtime.errors import DeadlockError, GoroutineExit
from ._runtime.g import Goroutine
from ._runtime.g import getsched as _getsched
from ._runtime.proc import blocking, current, go, gosched, run, sleep
from ._runtime.selectgo import select
from ._runtime.signals import signal_notify, signal_stop
from ._runtime.sync import Mutex, WaitGroup
from .net import (
    Addr,
    AddrError,
    Conn,
    Listener,
    PacketConn,
    dial,
    file_listener,
    join_host_port,
    listen,
    listen_packet,
    split_host_port,
)

__version__ = "0.1.0"

__all__ = [
    "Addr",
    "AddrError",
    "Chan",
    "ChanClosedError",
    "ClosedError",
    "Conn",
    "DeadlineExceededError",
    "DeadlockError",
    "Goroutine",
    "GoroutineExit",
    "Listener",
    "Mutex",
    "PacketConn",
    "RuntimeHandle",
    "WaitGroup",
    "after",
    "blocking",
    "clock",
    "current",
    "current_runtime",
    "dial",
    "dump",
    "file_listener",
    "from_thread",
    "from_thread_nowait",
    "go",
    "gosched",
    "join_host_port",
    "listen",
    "listen_packet",
    "monotonic",
    "patch",
    "run",
    "select",
    "set_max_blocking",
    "signal_notify",
    "signal_stop",
    "sleep",
    "split_host_port",
    "stats",
    "unpatch",
]


def dump(file: TextIO | None = None, summary: bool | None = None) -> None:
    """dump writes every goroutine — id, state, wait reason, time waited, stack — to ``file``.

    Like Go's traceback on ``SIGQUIT`` (which gonet also installs while
    ``run`` is running on the main thread). Default: stderr. ``summary=True``
    writes Go's ``debug=1`` goroutine profile instead: one entry per distinct
    wait reason and stack, with its count, most frequent first — fast for
    100,000 goroutines. ``summary=None`` (the default, and SIGQUIT) picks the
    summary above 5,000 goroutines.
    """
    _dump_all(file, summary)


def stats() -> dict[str, Any]:
    """stats returns counters of this thread's runtime.

    Keys: ``goroutines``, ``runnable``, ``waiting`` (wait reason → count),
    ``netpoll_fds``, ``netpoll_calls``, ``io_waiters``, ``timers``,
    ``blocking_pending``, ``scheduler_rounds``. ``RuntimeError`` outside a runtime.
    """
    return _statistics(_getsched()).as_dict()  # type: ignore[arg-type]


def monotonic() -> float:
    """monotonic is the runtime's clock: ``time.monotonic()``, or a test's virtual clock.

    Deadlines are absolute times on this clock.
    """
    return _getsched().clock.now()


def clock() -> Callable[[], float]:
    """clock returns the runtime's clock as a callable: each call returns what ``monotonic()`` would.

    For a loop that reads the clock per operation (a server setting a deadline
    per request): ``monotonic()`` finds this thread's runtime on every call,
    the callable does not (for the real clock it is ``time.monotonic``
    itself). Call it only on this runtime's thread. ``RuntimeError`` outside a
    runtime.
    """
    return _getsched().clock.now


def patch(*, socket: bool = True, ssl: bool = True, time: bool = True, select: bool = True,
          threading: bool = True, queue: bool = True, dns: bool = True, psycopg: bool = True,
          check: bool = False) -> None:
    """patch makes the standard library's blocking calls park goroutines (explicit, idempotent).

    Never automatic. Each keyword selects a part (see ``docs/patch.md``);
    calling again adds parts. Every patched function decides per call: in a
    goroutine it parks, everywhere else it is the original. Copies of the
    originals bound before the call (``from time import sleep``) are rebound
    in modules; those that cannot be (class attributes, default arguments)
    are named in a warning, or, with ``check=True``, raise
    ``EarlyBindingError`` before anything is changed.
    """
    from . import _patch

    _patch.patch(socket=socket, ssl=ssl, time=time, select=select, threading=threading,
                 queue=queue, dns=dns, psycopg=psycopg, check=check)


def unpatch() -> None:
    """unpatch restores every original ``patch`` replaced or rebound."""
    from . import _patch

    _patch.unpatch()
