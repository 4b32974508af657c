"""The per-call decision and the hybrid wait every patched function shares.

Rule: a call made by a goroutine of the runtime running on this thread takes
the cooperative path; every other caller — no runtime on this thread, the
scheduler itself (a timer callback, shutdown), a ``blocking()`` worker, any
other thread — gets exactly the standard library's behaviour. No object
is bound to a runtime: the decision is taken on every call by
:func:`current_g`.

:class:`Waiters` is the goroutine half of a hybrid primitive (a lock, a
queue). A goroutine that finds the primitive unavailable registers itself,
tries once more (the release may have happened in between, on another
thread), then parks; whoever changes the primitive's state — a goroutine, a
plain thread, a ``blocking()`` worker — calls :meth:`Waiters.wake_one`, which
readies the goroutine directly on its own runtime's thread or hands the wake
to that runtime with ``Runtime.post`` (through its eventfd) from any other.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent

from .._runtime.g import WAIT_SEMACQUIRE, Goroutine, current_sched

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._runtime.proc import Runtime

__all__ = ["Waiters", "current_g", "current_runtime", "ready"]


def current_g(current_sched: Any = current_sched, getcurrent: Any = getcurrent) -> Goroutine | None:
    """current_g returns the running goroutine if the caller is one (on its runtime's thread).

    Called on every patched call: the globals it needs are bound as defaults.
    """
    s = current_sched()  # compiled: a C thread-local read, cheaper than the threading.local
    if s is None:
        return None
    g = s.curg
    if g is None or g.glet is not getcurrent():
        return None
    return g  # type: ignore[no-any-return]


def current_runtime() -> Runtime | None:
    """current_runtime is the runtime of the calling goroutine, or None (see :func:`current_g`)."""
    g = current_g()
    rt: Any = None if g is None else g.sched
    return rt  # type: ignore[no-any-return]


def ready(g: Goroutine, seq: int) -> None:
    """ready wakes ``g`` (parked with token ``seq``) from any thread.

    On ``g``'s runtime thread it is readied at once; from anywhere else the
    wake is posted to that runtime. A runtime that has ended drops it.
    """
    rt: Any = g.sched
    here: Any = current_sched()
    if here is not None and here is rt:
        here.goready(g, seq)
        return
    try:
        rt.post(rt.goready, g, seq)
    except RuntimeError:
        pass  # that runtime has shut down: the goroutine is gone


def _timeout_wake(arg: tuple[Goroutine, int]) -> None:
    g, seq = arg
    g.sched.goready(g, seq)


class Waiters:
    """Waiters is the FIFO of goroutines parked on one hybrid primitive, from any runtime."""

    __slots__ = ("queue",)

    def __init__(self) -> None:
        # deque append/popleft/remove are atomic under the GIL: any thread may call.
        self.queue: deque[tuple[Goroutine, int]] = deque()

    def __len__(self) -> int:
        return len(self.queue)

    def park_until(self, g: Goroutine, attempt: Callable[[], bool], timeout: float | None,
                   reason: str = WAIT_SEMACQUIRE) -> bool:
        """park_until parks ``g`` until ``attempt()`` succeeds; False if ``timeout`` seconds pass.

        ``attempt`` is the primitive's non-blocking try; it is called after
        registering, so a state change that happened just before cannot be
        missed. A goroutine woken but beaten to the primitive parks again.
        """
        rt: Any = g.sched
        deadline = None if timeout is None else rt.clock.now() + max(timeout, 0.0)
        queue = self.queue
        while True:
            entry = (g, g.parkseq)
            queue.append(entry)
            if attempt():
                self._withdraw(g, entry)
                return True
            timer = None
            if deadline is not None:
                if deadline <= rt.clock.now():
                    self._withdraw(g, entry)
                    return False
                timer = rt.timers.add(deadline, _timeout_wake, entry)
            # Any thread may release the primitive: while we wait, the runtime must
            # not call "all goroutines are asleep" (callin.py's external wakers).
            rt.external_wakers += 1
            try:
                rt.gopark(reason)
            except BaseException:
                self._withdraw(g, entry)
                raise
            finally:
                rt.external_wakers -= 1
                if timer is not None:
                    rt.timers.cancel(timer)
            if attempt():
                return True
            # Woken by the timeout, or beaten to it by another taker: go round.
            try:
                queue.remove(entry)
            except ValueError:
                pass

    def _withdraw(self, g: Goroutine, entry: tuple[Goroutine, int]) -> None:
        """Leave the queue without having parked; any waker holding the token becomes stale."""
        try:
            self.queue.remove(entry)
        except ValueError:
            # A waker popped us already and may pass the wake on to nobody else:
            # that is fine (we hold the primitive, or give up), but its posted
            # wake must not hit a later, unrelated park of ours.
            g.parkseq += 1
            self.wake_one()  # the wake was meant for a waiter that can use it
            return
        g.parkseq += 1

    def wake_one(self) -> None:
        """wake_one readies the oldest parked goroutine (from any thread)."""
        queue = self.queue
        while queue:
            try:
                g, seq = queue.popleft()
            except IndexError:
                return
            if g.parkseq == seq:
                ready(g, seq)
                return
