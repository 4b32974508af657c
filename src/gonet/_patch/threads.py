"""``threading.Thread.join`` and ``start`` patched: a goroutine joins through ``gonet.blocking()``.

Plain Python functions (not compiled with the hybrid locks of :mod:`.locks`):
they are installed as methods of ``threading.Thread`` and must bind ``self``.
"""

from __future__ import annotations

import threading

from .._runtime.g import _tls, current_sched
from .._runtime.proc import blocking
from ._g import current_g

__all__ = ["thread_join", "thread_start"]

_orig_join = threading.Thread.join
_orig_start = threading.Thread.start


def thread_join(self: threading.Thread, timeout: float | None = None) -> None:
    """thread_join is ``Thread.join``; a goroutine waits through ``gonet.blocking()``."""
    started = self._started.is_set()  # type: ignore[attr-defined]
    if current_g() is None or (started and not self.is_alive()):
        return _orig_join(self, timeout)
    if self is threading.current_thread():
        raise RuntimeError("cannot join current thread")
    return blocking(_orig_join, self, timeout)  # type: ignore[no-any-return]


def thread_start(self: threading.Thread) -> None:
    """thread_start is ``Thread.start``; it blocks even a goroutine, as briefly as the original.

    ``start`` waits only for the new OS thread to say it runs. Letting a
    goroutine park there would let it park while holding whatever lock its
    caller holds around ``start()`` (gonet's own ``blocking()`` pool does),
    and another goroutine of the thread could then block the thread on that
    lock. So the runtime is hidden from the hybrid primitives for this call.
    """
    sched = current_sched()
    if sched is None:
        return _orig_start(self)
    _tls.sched = None
    try:
        return _orig_start(self)
    finally:
        _tls.sched = sched
