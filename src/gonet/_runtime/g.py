# cython: boundscheck=False, wraparound=False
"""Goroutines and the one place that switches between them (Go's ``runtime/proc.go``: g, gopark, goready).

A goroutine is a :class:`Goroutine` (Go's ``g``) running on a greenlet whose
parent is the *hub*: the greenlet that called ``run()`` and runs the
scheduler loop (:mod:`gonet._runtime.proc`). :meth:`Sched.gopark` and
:meth:`Sched.goready` are the only code that switches greenlets; everything
that blocks — channels, sleeps, the netpoller, ``blocking()`` — parks through
``gopark`` and is woken through ``goready``.

Goroutine states (``status``) are the names of :mod:`.gstatus`. A goroutine
is entered in one place only, :func:`execute` (Go's ``runtime.execute``):
whether the hub's scheduler loop, ``gopark``'s direct hand-off or ``settle``
runs it, execute makes it ``curg``, marks it ``RUNNING``, bumps ``schedtick``
(what sysmon watches) — that part is :func:`enter`, which shutdown uses
before throwing into it — and switches to it.

The park token
--------------
A parked goroutine can be woken by several sources at once: a deadline and
readiness, a ``join(timeout)`` and completion, several ``select`` cases, a
``blocking()`` worker that finishes after shutdown. Instead of one special
case per source there is one rule: a waker records ``g.parkseq`` when it
registers, and :meth:`Sched.goready` succeeds only if the goroutine is still
``WAITING`` with that same ``parkseq``; a successful wake bumps ``parkseq``,
so every later waker holding the old token is a no-op. Wakers that hand over
a value (channels, semaphores) use the boolean result to pass it to the next
waiter instead.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent

from .errors import throw
from .gstatus import DEAD, IDLE, RUNNABLE, RUNNING, STATUS_NAMES, WAITING
from .timers import check_duration

try:
    import cython
except ImportError:  # plain Python without Cython installed
    from . import _cython as cython

if not cython.compiled:
    # The plain-Python twins of the C helpers in g.pxd (greenlet's C API).

    def switch_to(glet: Any) -> Any:
        """switch_to switches to greenlet ``glet`` (no arguments)."""
        return glet.switch()

    def set_parent(glet: Any, parent: Any) -> None:
        """set_parent makes ``parent`` the greenlet that ``glet`` switches to when it ends."""
        glet.parent = parent

    current_glet = getcurrent
    thread_ident = threading.get_ident

    def greenlet_import() -> None:
        """greenlet_import loads greenlet's C API (compiled build only)."""

    def install_allocator_caches() -> None:
        """install_allocator_caches makes CPython reuse data-stack chunks and stack copies (compiled only)."""

    def block_cache_installed() -> bool:
        """block_cache_installed tells whether the stack-copy block cache is in use (compiled only)."""
        return False

    def goroutine_entry(body: Callable[[], None]) -> Callable[[], None]:
        """goroutine_entry is ``body`` itself (compiled: a C function with a small root chunk)."""
        return body

    def root_chunk_bytes() -> int:
        """root_chunk_bytes is the size of a goroutine's data-stack root chunk (compiled only)."""
        return 0

    def cached_sched() -> Any:
        """cached_sched is this thread's runtime, read from ``_tls`` (compiled: a C thread-local)."""
        return _tls._sched

    def cache_sched(s: Any) -> None:
        """cache_sched records ``s`` as this thread's runtime in the C thread-local (compiled only)."""

greenlet_import()
install_allocator_caches()  # once per process: see g.pxd
#: Whether greenlet's stack copies come from the block cache (g.pxd): compiled, over the
#: default raw allocator only (not under PYTHONMALLOC=debug, -X dev or tracemalloc).
BLOCK_CACHE = block_cache_installed()

if TYPE_CHECKING:
    from .timers import Clock, TimerHeap

__all__ = ["BLOCK_CACHE", "ROOT_CHUNK_BYTES", "Goroutine", "RunQueue", "Sched", "current_sched",
           "enter", "execute", "fastrandn", "getsched", "goroutine_start"]

# Wait reasons, spelled as Go's traceback spells them (runtime/runtime2.go waitReasonStrings).
WAIT_IO = "IO wait"
WAIT_SLEEP = "sleep"
WAIT_CHAN_RECV = "chan receive"
WAIT_CHAN_SEND = "chan send"
WAIT_SELECT = "select"
WAIT_SELECT_NO_CASES = "select (no cases)"
WAIT_SEMACQUIRE = "semacquire"
WAIT_SYSCALL = "syscall"
WAIT_JOIN = "join"
# Go 1.20+ says "sync.Mutex.Lock" / "sync.WaitGroup.Wait"; gonet's contract (docs/spec.md), as
# earlier Go, says "semacquire" for both.
WAIT_SYNC_MUTEX = "semacquire"
WAIT_WAITGROUP = "semacquire"

class _ThreadState(threading.local):
    """_ThreadState is the per-thread state: the runtime running on the thread, if any.

    Set ``sched`` (``run``, fork.py, the patched locks) through the setter: it keeps the
    C thread-local copy (g.pxd) that :func:`current_sched` and :func:`getsched` read (a
    ``threading.local`` lookup is ≈ 500 instructions); read it with those, not ``_tls.sched``.
    """

    _sched: Sched | None = None  # a class default: a thread that never ran a runtime reads None

    @property
    def sched(self) -> Sched | None:
        """sched is the runtime running on this thread, or None."""
        return self._sched

    @sched.setter
    def sched(self, s: Sched | None) -> None:
        self._sched = s
        cache_sched(s)


_tls = _ThreadState()


def current_sched() -> Sched | None:
    """current_sched returns the runtime running on this thread, or ``None``."""
    return cached_sched()  # type: ignore[no-any-return]


def getsched() -> Sched:
    """getsched returns this thread's runtime; ``RuntimeError`` outside ``gonet.run()``."""
    s: Sched | None = cached_sched()
    if s is None:
        raise RuntimeError("gonet: no runtime on this thread (call this inside gonet.run())")
    return s


class RunQueue:
    """RunQueue is the FIFO of runnable goroutines (Go's ``runq``): a ring buffer, in both builds."""

    __slots__ = ("buf", "head", "n")

    def __init__(self) -> None:
        self.buf: list[Goroutine | None] = [None] * 64
        self.head = 0
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def append(self, g: Goroutine) -> None:
        """append queues ``g`` at the back."""
        size = len(self.buf)
        if self.n == size:
            # Grow: unroll the ring into a list twice the size.
            self.buf = [*self.buf[self.head:], *self.buf[:self.head], *([None] * size)]
            self.head = 0
            size *= 2
        self.buf[(self.head + self.n) & (size - 1)] = g
        self.n += 1

    def popleft(self) -> Goroutine:
        """popleft removes and returns the goroutine at the front."""
        if self.n == 0:
            raise IndexError("pop from an empty run queue")
        head = self.head
        g = self.buf[head]
        self.buf[head] = None
        self.head = (head + 1) & (len(self.buf) - 1)
        self.n -= 1
        return g  # type: ignore[return-value]

    def pop_started(self) -> Goroutine | None:
        """pop_started removes and returns the front goroutine if it has started, else None."""
        if self.n == 0:
            return None
        head = self.head
        g = self.buf[head]
        if g is None or not g.started:
            return None
        self.buf[head] = None
        self.head = (head + 1) & (len(self.buf) - 1)
        self.n -= 1
        return g

    def clear(self) -> None:
        """clear empties the queue."""
        self.buf = [None] * 64
        self.head = 0
        self.n = 0


class Goroutine:
    """Goroutine is a lightweight thread of execution (Go's ``g``), run by :func:`gonet.go`.

    ``id`` is unique within its runtime (the main goroutine is 1).
    :meth:`join` waits for it to end; :meth:`done` tells whether it has.
    The other attributes belong to the runtime (scheduler state such as
    ``status``, ``parkseq`` and ``waitreason``) and are not part of the API.
    """

    __slots__ = ("_exc", "_joiners", "_result", "allnext", "allprev", "args", "fn", "glet", "id",
                 "kwargs", "parkseq", "sched", "started", "status", "sudog", "waitreason",
                 "waitsince", "wakeval")

    def __init__(self, sched: Sched, gid: int, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        self.sched = sched
        self.id = gid
        self.fn: Callable[..., Any] | None = fn
        self.args = args
        self.kwargs: dict[str, Any] | None = kwargs or None  # most goroutines have none
        self.glet: Any = None
        self.started = False  # its greenlet has run (see gopark's hand-off)
        self.status = IDLE
        self.parkseq = 0
        self.wakeval: Any = None
        self.waitreason = ""
        self.waitsince = 0.0
        self._result: Any = None
        self._exc: BaseException | None = None
        self._joiners: list[tuple[Goroutine, int]] | None = None
        self.sudog: Any = None  # the channel sudogs it has used, for reuse (chan.acquire_sudog)
        self.allprev: Goroutine | None = None  # its neighbours in its runtime's allgs (allg.py)
        self.allnext: Goroutine | None = None

    def __repr__(self) -> str:
        state = self.waitreason if self.status == WAITING else STATUS_NAMES[self.status]
        return f"<Goroutine {self.id} [{state}]>"

    def done(self) -> bool:
        """done reports whether the goroutine has returned or raised."""
        return self.status == DEAD

    def join(self, timeout: float | None = None) -> Any:
        """join parks until the goroutine ends and returns its result.

        Re-raises the goroutine's exception. Raises ``TimeoutError`` when
        ``timeout`` seconds pass first (``None`` or ``inf``: wait for ever;
        ``ValueError`` for NaN), and ``RuntimeError`` when a goroutine joins
        itself or is outside this goroutine's runtime.
        """
        if timeout is not None:
            timeout = check_duration("join timeout", timeout)
        if self.status != DEAD:
            s = self.sched
            me = s.checkg()
            if me is self:
                raise RuntimeError("gonet: goroutine cannot join itself (deadlock)")
            if self._joiners is None:
                self._joiners = []
            seq = me.parkseq
            self._joiners.append((me, seq))
            timer = None
            if timeout is not None:
                timer = s.timers.add(s.clock.now() + max(timeout, 0.0), wake_token, (me, seq))
            try:
                s.gopark(WAIT_JOIN)
            finally:
                if timer is not None:
                    s.timers.cancel(timer)
            if self.status != DEAD:
                if self._joiners is not None:
                    self._joiners = [j for j in self._joiners if j[0] is not me]
                raise TimeoutError(f"gonet: goroutine {self.id} did not end within {timeout}s")
        if self._exc is not None:
            raise self._exc
        return self._result


def goroutine_start(body: Callable[[], None]) -> Callable[[], None]:
    """goroutine_start returns what every goroutine's greenlet runs: ``body`` (goexit's).

    Compiled, a C function that gives the greenlet a small data-stack root
    chunk (:data:`ROOT_CHUNK_BYTES`, see g.pxd), then calls ``body``; plain,
    ``body`` itself (CPython's own 16 KiB chunk). Here: the chunk is this module's C state.
    """
    return goroutine_entry(body)


#: The size of a goroutine's data-stack root chunk in this build (0: CPython's own,
#: 16 KiB): what chan_bench.py's floor reports.
ROOT_CHUNK_BYTES = root_chunk_bytes()


def enter(s: Sched, g: Goroutine) -> None:
    """enter makes ``g`` the running goroutine of ``s``: ``curg``, ``RUNNING``, ``schedtick`` bumped.

    The state change of entering a goroutine, defined once: :func:`execute`
    does it before switching, shutdown before throwing ``GoroutineExit`` in.
    ``schedtick`` is how sysmon tells a goroutine that kept the thread from
    one that was left and re-entered.
    """
    s.schedtick += 1
    s.curg = g
    g.status = RUNNING


def execute(s: Sched, g: Goroutine) -> None:
    """execute runs ``g`` on this thread (Go's ``runtime.execute``): the one entry into a goroutine.

    :func:`enter`, then the switch; returns when something switches back
    here. Every path that runs a goroutine comes through here or (shutdown's
    throw) through :func:`enter`: the hub's scheduler loop, ``gopark``'s
    direct hand-off, ``settle``. Compiled, it is a C function (g.pxd),
    inlined into ``gopark`` so a parked goroutine's saved C stack has no
    frame more.
    """
    enter(s, g)
    switch_to(g.glet)


#: fastrandn's 64-bit words (compiled: C constants, g.pxd): 2**64 - 1, xorshift64*'s multiplier.
_MASK64 = (1 << 64) - 1
_MUL64 = 0x2545F4914F6CDD1D


def fastrandn(s: Sched, n: int) -> int:
    """fastrandn returns a pseudo-random int in ``[0, n)`` for ``n < 2**32`` (Go's ``cheaprandn``).

    xorshift64* on ``s.randstate`` and Lemire's multiply-shift reduction, as ``select``
    needs it: cheap, and the same numbers in both builds (plain masks to 64 bits what C
    wraps), so a seeded runtime makes the same choices compiled or not.
    """
    x = s.randstate
    x ^= x >> 12
    x ^= (x << 25) & _MASK64
    x ^= x >> 27
    s.randstate = x
    r = ((x * _MUL64) & _MASK64) >> 32
    return (r * n) >> 32


def wake_token(arg: tuple[Goroutine, int]) -> None:
    """wake_token is a timer callback: wakes ``g`` of ``arg = (g, parkseq)`` unless stale (join, sleep)."""
    arg[0].sched.goready(*arg)


class Sched:
    """Sched is the per-thread core of a runtime: run queue, hub and the switch point.

    :class:`gonet._runtime.proc.Runtime` adds the scheduler loop, timers, the
    netpoller and shutdown on top of it.
    """

    # The same fields as g.pxd's ``cdef class Sched`` (tests/test_pxd_fields.py
    # checks): a misspelt attribute fails in both builds.
    __slots__ = ("clock", "curg", "handoffs", "hub", "io_waiters", "now", "randstate", "runq",
                 "schedtick", "thread_id", "timers")

    runq: RunQueue
    hub: Any
    curg: Goroutine | None
    thread_id: int
    timers: TimerHeap
    clock: Clock
    now: float  # clock time of the current scheduler round (cheap "waitsince")
    schedtick: int
    io_waiters: int
    handoffs: int
    randstate: int  # fastrandn's state: select's random choices

    def __init__(self) -> None:
        self.runq = RunQueue()
        self.hub = None
        self.curg = None
        self.thread_id = threading.get_ident()
        self.now = 0.0
        self.schedtick = 0
        self.io_waiters = 0
        self.handoffs = 0
        self.randstate = 1  # Runtime seeds it from its random source

    def checkg(self) -> Goroutine:
        """checkg returns the running goroutine, or raises if the caller may not park here.

        Parking is legal only inside a goroutine of *this* runtime on *its*
        thread; a goroutine of another thread's runtime gets a clear
        ``RuntimeError`` instead of a greenlet error or a silent hang.
        """
        g = self.curg
        if thread_ident() != self.thread_id:
            raise RuntimeError(
                f"gonet: this object belongs to {getattr(self, 'name', 'a runtime')}, which "
                "runs on another thread; goroutines may only use conns, channels and locks "
                "of their own runtime (hand calls over with gonet.from_thread)")
        if g is None or g.glet is not current_glet():
            raise RuntimeError("gonet: cannot block outside a goroutine "
                               "(in the scheduler, a timer callback or at shutdown)")
        return g

    def gopark(self, reason: str) -> Any:
        """gopark parks the running goroutine until :meth:`goready` wakes it.

        Returns the value passed to ``goready``. The caller has already
        registered the goroutine (with its ``parkseq`` token) wherever a waker
        will find it.

        If another goroutine is runnable, gopark switches to it directly
        instead of bouncing through the hub: one greenlet switch per park
        instead of two. ``handoffs`` bounds such a chain, so the hub still
        gets control regularly to fire timers and poll (see proc.py).
        """
        g = self.curg
        # A cheap check on the hot path: the hub and timer callbacks run with
        # curg None, and another thread is told apart by its id. checkg() has
        # the full check and the messages.
        if g is None or thread_ident() != self.thread_id:
            self.checkg()  # raises the right RuntimeError
            raise throw("runtime: gopark outside a goroutine")
        g.status = WAITING
        g.waitreason = reason
        g.waitsince = self.now
        runq = self.runq
        # Hand off only to a goroutine that has started: a greenlet starts on
        # the C stack of whoever switches to it first, so starting one from
        # deep inside another goroutine would nest stacks (and the recursion
        # depth) goroutine after goroutine. The hub starts them, shallowly.
        nxt = runq.pop_started() if self.handoffs > 0 else None
        if nxt is not None:
            self.handoffs -= 1
            execute(self, nxt)
        else:
            switch_to(self.hub)
        v = g.wakeval
        g.wakeval = None
        return v

    def goready(self, g: Goroutine, seq: int, value: Any = None) -> bool:
        """goready makes ``g`` runnable if it is still parked with token ``seq``.

        Returns ``False`` (and does nothing) for a stale token: the goroutine
        was already woken by someone else, or has ended.
        """
        if g.parkseq != seq or g.status != WAITING:
            return False
        if g.sched is not self:
            raise RuntimeError("gonet: cannot wake a goroutine of another thread's runtime")
        g.parkseq = seq + 1
        g.status = RUNNABLE
        g.wakeval = value
        self.runq.append(g)
        return True

    def gosched(self) -> None:
        """gosched yields: the running goroutine goes to the back of the run queue."""
        g = self.checkg()
        g.status = RUNNABLE
        self.runq.append(g)
        switch_to(self.hub)

    def new_goroutine(self, fn: Callable[..., Any], args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Goroutine:
        """new_goroutine creates a runnable goroutine at the back of the run queue."""
        raise NotImplementedError  # provided by Runtime, as gostart is

    def report_uncaught(self, g: Goroutine, e: BaseException) -> None:
        """report_uncaught prints an exception that escaped a goroutine, with its id.

        The main goroutine's exception is not printed: ``run()`` re-raises it.
        """
        if g.id == 1:
            return
        try:
            text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            sys.stderr.write(f"gonet: exception in goroutine {g.id}:\n{text}")
            sys.stderr.flush()
        except Exception:  # printing must never kill the scheduler
            pass

    def gostart(self) -> tuple[Any, ...]:
        """gostart hands the goroutine just entered its call: ``(g, fn, n, a0, a1, a2)`` (hook)."""
        raise NotImplementedError

    def goexit0(self, g: Goroutine, result: Any) -> None:
        """goexit0 is the runtime's bookkeeping when ``g`` has ended with ``result`` (hook)."""

    def fatal(self, e: BaseException) -> None:
        """fatal stops the runtime: ``run()`` shuts down and raises ``e`` (hook)."""
