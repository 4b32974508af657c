"""gonet.testing: deterministic tests for gonet programs.

* :func:`gotest` — run a test function as the main goroutine of a fresh
  runtime (optionally on a :class:`MockClock`), failing it if it leaks
  goroutines or pollDescs.
* :class:`MockClock` — virtual time that jumps when every goroutine is parked.
* :func:`wait_all_blocked` — park until every other goroutine is parked.
* :mod:`gonet.testing.socktest` — fault injection at the syscall seams.
* The pytest plugin (``gonet.testing.pytest_plugin``, opt-in with
  ``pytest -p gonet.testing.pytest_plugin``) adds descriptor and runtime
  leak checks around every test.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .._runtime.g import getsched
from .._runtime.proc import Runtime, gosched, run_with
from .clock import MockClock
from .leakcheck import LeakError, check_runtime_leaks, open_fds

__all__ = [
    "LeakError",
    "MockClock",
    "check_runtime_leaks",
    "gotest",
    "open_fds",
    "run_test",
    "wait_all_blocked",
]

F = TypeVar("F", bound=Callable[..., Any])


def run_test(fn: Callable[..., Any], *args: Any, clock: Any = None, seed: int | None = 0,
             leakcheck: bool = True, **kwargs: Any) -> Any:
    """run_test runs ``fn(*args, **kwargs)`` as goroutine 1 and checks for leaks when it returns."""
    def main() -> Any:
        result = fn(*args, **kwargs)
        if leakcheck:
            check_runtime_leaks()
        return result

    return run_with(main, clock=clock, seed=seed)


def gotest(fn: F | None = None, *, clock: Callable[[], Any] | None = None, seed: int | None = 0,
           leakcheck: bool = True) -> Any:
    """gotest decorates a test so it runs as the main goroutine of its own runtime.

    ``clock`` is a factory (e.g. ``MockClock``) called per run; ``seed``
    seeds ``select``'s random choice. Fixtures still work: the wrapper keeps
    the test's signature.
    """
    def deco(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return run_test(f, *args, clock=clock() if clock else None, seed=seed,
                            leakcheck=leakcheck, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco(fn) if fn is not None else deco


def wait_all_blocked() -> None:
    """wait_all_blocked parks until every other goroutine is parked and no I/O is pending.

    Use it instead of "sleep a little" to let the other goroutines run as
    far as they can.
    """
    rt: Runtime = getsched()  # type: ignore[assignment]
    while True:
        gosched()
        if rt.runq:
            continue
        if rt.netpoll.poll(0.0) == 0 and not rt.runq and not rt.posted:
            rt.timers.run_due(rt.clock.now())
            if not rt.runq:
                return
