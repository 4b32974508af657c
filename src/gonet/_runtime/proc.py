"""The scheduler: run queue, netpoll, timers, ``run`` and shutdown (Go's ``runtime/proc.go``).

One :class:`Runtime` per OS thread. Its loop (``schedule``) works in rounds::

    now := clock
    fire due timers; hand back finished blocking() calls
    if goroutines are runnable:
        if 10 ms have passed since the last epoll_wait: netpoll(0)    (Go's sysmon rule)
        run every goroutine that was runnable when the round began, in FIFO order
    else:
        if the main goroutine can never be woken: DeadlockError      (Go's checkdead)
        netpoll(until the next timer)                                 (Go's findrunnable)

So ``epoll_wait`` runs at most once per round, blocks only when nothing is
runnable, and still runs at least every 10 ms while goroutines keep the run
queue busy, so I/O never starves.

Shutdown: when the main goroutine returns, every goroutine still alive gets
:class:`GoroutineExit` thrown in (goroutines that never started are simply
dropped: a throw into an unstarted greenlet would run in the scheduler's
context). ``finally`` blocks may park again (close waiting for in-flight
operations, a sleep), so the scheduler runs what they make runnable, and
repeats the kill a bounded number of times. Then every descriptor still
registered with the netpoller is closed, and so are the epoll and eventfd
descriptors: ``run`` leaves no descriptor behind.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from greenlet import getcurrent, greenlet

from . import fork
from .allg import AllGs
from .blocking import WorkerPool, blocking, blocking_capped
from .callq import CallQueue
from .errors import DeadlockError, GoroutineExit
from .g import (
    WAIT_SLEEP,
    Goroutine,
    Sched,
    _tls,
    current_sched,
    getsched,
    goroutine_start,
    wake_token,
)
from .goexit import goexit_body
from .gstatus import DEAD, RUNNABLE
from .gtrace import dump_all, format_goroutines
from .netpoll import Netpoll
from .rlimit import raise_nofile_limit, restore_nofile_limit
from .signals import forget_runtime
from .timers import Clock, MonotonicClock, TimerHeap, check_duration

try:
    import cython
except ImportError:  # plain Python without Cython installed
    from . import _cython as cython

if not cython.compiled:  # compiled, these come from g.pxd (greenlet's C API) and gctrack.pxd
    from .g import enter, execute, greenlet_import, set_parent, thread_ident
    from .gctrack import retrack, untrack

greenlet_import()  # each compiled module needs its own copy of the C API table

#: gostart's result: the goroutine, its function, the argument count (-1: args and kwargs) and 3 slots.
StartCall = tuple[Goroutine, Callable[..., Any], int, Any, Any, Any]

#: What every goroutine's greenlet starts in (compiled: goexit_body on a small data-stack chunk).
_GOROUTINE_START = goroutine_start(goexit_body)

__all__ = ["Runtime", "blocking", "blocking_capped", "current", "go", "gosched", "run", "sleep"]

#: Go's sysmon forces a netpoll when the last one is older than 10 ms.
FORCE_POLL_INTERVAL = 0.010
#: How many goroutines gopark may switch to directly before the hub runs again
#: (fires timers, polls if 10 ms have passed).
HANDOFF_BUDGET = 64
#: Called with the runtime when the main goroutine has returned, before the
#: goroutines still alive are stopped (gonet.testing's leak check uses it).
MAIN_RETURN_HOOKS: list[Callable[[Runtime], None]] = []
_runtime_ids = itertools.count(1)
#: How many times shutdown throws GoroutineExit into goroutines that keep running.
KILL_PASSES = 4
#: How many goroutine switches each shutdown pass may run before giving up.
KILL_SWITCHES = 100_000


class Runtime(Sched):
    """Runtime is one gonet runtime: a scheduler on the OS thread that called ``run``."""

    # The same fields as proc.pxd's ``cdef class Runtime`` (tests/test_pxd_fields.py).
    __slots__ = ("abandoned", "allgs", "calls", "external_wakers", "fatal_exc", "handle",
                 "lastpoll", "main", "main_done", "name", "netpoll", "next_id", "pool", "posted",
                 "random", "rounds", "stopping", "sysmon")

    def __init__(self, clock: Clock | None = None, seed: int | None = None) -> None:
        super().__init__()
        self.clock: Clock = clock if clock is not None else MonotonicClock()
        self.timers = TimerHeap()
        self.netpoll = Netpoll(self)
        self.name = f"gonet runtime {next(_runtime_ids)} (thread {threading.current_thread().name!r})"
        self.calls = CallQueue(self.name, self.netpoll.backend.wake)  # other threads' calls
        self.posted = self.calls.items
        self.pool = WorkerPool(self.calls.post)
        #: How many things outside the runtime's goroutines may still wake it (signal_notify,
        #: a current_runtime() handle, a goroutine parked on a lock another thread holds):
        #: while non-zero, an idle runtime is waiting, not deadlocked.
        self.external_wakers = 0
        self.handle: Any = None
        self.abandoned = False  # in a forked child, a runtime inherited from the parent (fork.py)
        #: The goroutines alive, in the order they were started.
        self.allgs = AllGs()
        self.next_id = 1
        self.lastpoll = 0.0
        self.rounds = 0
        self.main: Goroutine | None = None
        self.main_done = False
        self.stopping = False
        self.fatal_exc: BaseException | None = None  # KeyboardInterrupt/SystemExit: run() re-raises
        #: The one random source of ``select`` (seeded by tests for reproducible choices).
        self.random = random.Random(seed)
        self.randstate = self.random.getrandbits(64) | 1  # g.fastrandn: never the all-zero state
        self.sysmon: Any = None

    # --- goroutines ------------------------------------------------------------------

    def new_goroutine(self, fn: Callable[..., Any], args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Goroutine:
        """new_goroutine creates a goroutine and queues it (Go's ``newproc``)."""
        if self.stopping:
            raise RuntimeError("gonet: cannot start a goroutine: the runtime is shutting down")
        if thread_ident() != self.thread_id:
            raise RuntimeError("gonet: go() called from the thread of another runtime")
        g = Goroutine(self, self.next_id, fn, args, kwargs)
        self.next_id += 1
        g.glet = glet = greenlet(_GOROUTINE_START, self.hub)
        g.status = RUNNABLE
        self.allgs.add(g)
        untrack(g)  # until it leaves allgs: see gctrack
        untrack(glet)
        self.runq.append(g)
        return g

    def __repr__(self) -> str:
        return f"<{self.name}>"

    def post(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """post queues ``fn(*args)`` to run on this runtime's thread, in the scheduler, soon.

        Safe from any thread and from a signal handler. ``fn`` runs in the hub
        (no goroutine is running: it may call ``go()``, wake goroutines, close
        conns, but must not block); an exception it raises is printed. Raises
        ``RuntimeError`` naming the runtime once it has shut down.
        """
        self.calls.post(fn, args)

    def fatal(self, e: BaseException) -> None:
        """fatal makes the loop stop; ``run()`` re-raises ``e`` after shutdown."""
        if self.fatal_exc is None:
            self.fatal_exc = e
        self.main_done = True

    # goexit_body's two halves that need no Python frame: compiled, C field accesses
    # (goexit_body's own went through the generic lookup, ≈ 170 instructions each).

    def gostart(self) -> StartCall:
        """gostart marks ``curg`` started and hands it its call, ``(g, fn, n, a0, a1, a2)``.

        ``n`` (0 to 3) positional arguments in ``a0``-``a2``, or ``n == -1``: ``a0`` is
        the argument tuple and ``a1`` the keyword dict. Unpacked here, in C, so
        goexit_body's Python frame has no unpacking to do; the goroutine keeps none of it.
        """
        g = self.curg
        assert g is not None
        g.started = True
        fn, args, kwargs = g.fn, g.args, g.kwargs
        g.fn = None
        g.args = ()
        g.kwargs = None
        assert fn is not None
        n = len(args)
        if kwargs or n > 3:
            return g, fn, -1, args, kwargs or {}, None
        if n == 1:
            return g, fn, 1, args[0], None, None
        if n == 2:
            return g, fn, 2, args[0], args[1], None
        if n == 3:
            return g, fn, 3, args[0], args[1], args[2]
        return g, fn, 0, None, None, None

    def goexit0(self, g: Goroutine, result: Any) -> None:
        """goexit0 ends ``g`` (Go's ``goexit0``): dead, forgotten, its joiners woken.

        ``result`` is what its function returned (None when it raised: goexit_body
        has set ``_exc``). The main goroutine's end stops the loop.

        Like gopark, the end hands the thread to the next runnable goroutine that
        has started, within the same ``handoffs`` budget: the greenlet's end
        switches to its parent, so the parent becomes that goroutine's greenlet
        instead of the hub — one switch and one scheduler round less per
        goroutine that ends. The goroutine lets go of its greenlet here (a dead
        greenlet keeps its parent alive: a kept handle would keep a chain of them).
        """
        glet = g.glet
        g.glet = None
        g._result = result
        g.status = DEAD
        retrack(g)  # new_goroutine untracked both (gctrack)
        retrack(glet)
        g.sudog = None  # its cached channel sudogs (chan.acquire_sudog)
        # A goroutine readied and then killed (shutdown) never returned from gopark,
        # which clears this: a sudog left here would hold g in a cycle (sudog.Sudog).
        g.wakeval = None
        self.allgs.remove(g)
        if g is self.main:
            self.main_done = True
        joiners = g._joiners
        if joiners:
            g._joiners = None
            for jg, seq in joiners:
                self.goready(jg, seq)
        if self.handoffs > 0 and not self.main_done and not self.stopping:
            nxt = self.runq.pop_started()
            if nxt is not None:
                self.handoffs -= 1
                enter(self, nxt)
                set_parent(glet, nxt.glet)

    # --- the scheduler loop -----------------------------------------------------------

    def schedule(self) -> None:
        """schedule runs rounds until the main goroutine has ended (see the module docstring)."""
        runq = self.runq
        timers = self.timers
        clock = self.clock
        now_fn = clock.now
        netpoll = self.netpoll
        pool = self.pool
        posted = self.posted
        while not self.main_done:
            now = self.now = now_fn()
            self.rounds += 1
            if timers.heap and timers.heap[0][0] <= now:
                timers.run_due(now)
            if posted:
                self.calls.run(self.fatal)
            if runq:
                if now - self.lastpoll >= FORCE_POLL_INTERVAL:
                    self.lastpoll = now
                    netpoll.poll(0.0)
                # Run the queue: the first goroutine is switched to from here,
                # the following ones mostly by gopark's direct hand-off, until
                # the queue is empty or the hand-off budget is spent.
                self.handoffs = HANDOFF_BUDGET
                execute(self, runq.popleft())
                self.curg = None
                continue
            nxt = timers.next_when()
            if (nxt is None and self.io_waiters == 0 and pool.pending == 0
                    and self.external_wakers == 0):
                raise DeadlockError(self._deadlock_message())
            timeout = clock.poll_timeout(None if nxt is None else nxt - now)
            self.lastpoll = now
            if netpoll.poll(timeout) == 0 and not runq and not posted:
                clock.idle(nxt)

    def _deadlock_message(self) -> str:
        return "all goroutines are asleep - deadlock!\n\n" + format_goroutines(self)

    # --- run and shutdown -------------------------------------------------------------

    def run_main(self, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
        """run_main runs ``fn`` as goroutine 1 until it returns, then shuts down."""
        raise_nofile_limit()
        _tls.sched = self
        self.hub = getcurrent()
        fork.remember(self)
        old_handler: Any = None
        in_main_thread = threading.current_thread() is threading.main_thread()
        deadlock: DeadlockError | None = None
        try:
            if in_main_thread:
                old_handler = _install_sigquit()
                self.netpoll.install_signal_wakeup()
            if os.environ.get("GONET_SYSMON"):
                from .sysmon import Sysmon

                self.sysmon = Sysmon.from_env(self, os.environ["GONET_SYSMON"])
            self.main = self.new_goroutine(fn, args, kwargs)
            try:
                self.schedule()
                if self.fatal_exc is None:
                    for hook in MAIN_RETURN_HOOKS:
                        hook(self)
            except DeadlockError as e:
                deadlock = e
            finally:
                self.curg = None
                self.shutdown()
        finally:
            _tls.sched = None
            if fork.forget(self) == 0:
                restore_nofile_limit()  # the last runtime has ended (rlimit.py)
            if in_main_thread:
                forget_runtime(self)  # signal_notify relays end with the runtime
                self.netpoll.restore_signal_wakeup()
                if old_handler is not None:
                    signal.signal(signal.SIGQUIT, old_handler)
        if self.fatal_exc is not None:
            exc, self.fatal_exc = self.fatal_exc, None
            raise exc
        if deadlock is not None:
            raise deadlock
        main = self.main
        if main._exc is not None:
            exc = main._exc
            main._exc = None
            raise exc
        return main._result

    def shutdown(self) -> None:
        """shutdown stops the goroutines still alive, then closes every descriptor."""
        self.stopping = True
        if self.sysmon is not None:
            self.sysmon.stop()
        try:
            for _ in range(KILL_PASSES):
                alive = [g for g in self.allgs.values() if g.status != DEAD]
                if not alive:
                    break
                self.runq.clear()
                for g in alive:
                    if g.status == DEAD:
                        continue
                    if not g.glet:  # never started: nothing to unwind (its call: the finally)
                        g.status = DEAD
                        continue
                    g.parkseq += 1  # every pending waker becomes stale
                    enter(self, g)
                    g.glet.throw(GoroutineExit())
                    self.curg = None
                self.settle(KILL_SWITCHES, start_new=False)
            leftover = [g for g in self.allgs.values() if g.status != DEAD]
            if leftover:
                sys.stderr.write(f"gonet: {len(leftover)} goroutine(s) would not stop at "
                                 f"shutdown: {leftover}\n")
        finally:
            self.curg = None
            self.runq.clear()
            # go() untracked the argument tuples from the cyclic GC: the goroutines that
            # never started must let theirs go, or a cycle through one would never be freed.
            for g in self.allgs:
                if not g.started:
                    g.fn, g.args, g.kwargs = None, (), None
                retrack(g)  # the ones goexit0 never saw leave allgs here (gctrack)
                if g.glet is not None:
                    retrack(g.glet)
            self.allgs.clear()
            self.pool.close()
            self.calls.close()
            self.netpoll.close_all()
            self.timers = TimerHeap()

    def settle(self, max_switches: int = 10_000, start_new: bool = True) -> None:
        """settle runs what is runnable, without blocking, until nothing more happens.

        Due timers fire; nothing waits for future ones. After the main goroutine
        returned (gonet.testing's leak check), goroutines on their way out get
        to finish; during shutdown (``start_new=False``), goroutines that never
        started stay unstarted, and only what the kill made runnable runs.
        """
        runq = self.runq
        switches = 0
        while switches < max_switches:
            self.now = now = self.clock.now()
            self.timers.run_due(now)
            if self.posted:
                self.calls.run(self.fatal)
            self.netpoll.poll(0.0)
            if not runq:
                return
            while runq and switches < max_switches:
                g = runq.popleft()
                if g.status == DEAD or (not g.glet and (g.started or not start_new)):
                    continue  # finished, or (shutdown) never started
                switches += 1
                self.handoffs = 0  # the hub picks each one: no direct hand-offs here
                execute(self, g)
                self.curg = None


def _install_sigquit() -> Any:
    """Install the SIGQUIT dump (Go prints every goroutine on SIGQUIT); returns the old handler."""
    def on_sigquit(signum: int, frame: Any) -> None:
        dump_all(sys.stderr)

    try:
        return signal.signal(signal.SIGQUIT, on_sigquit)
    except (ValueError, OSError):
        return None


# --- the public functions (re-exported by gonet) -------------------------------------


def run(main: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """run starts a runtime on this thread, runs ``main`` as goroutine 1 and returns its result.

    Re-raises ``main``'s exception. When ``main`` returns, goroutines still
    alive are stopped with :class:`GoroutineExit` and every descriptor the
    runtime still holds is closed. Raises ``RuntimeError`` if a runtime is
    already running on this thread, and :class:`DeadlockError` when every
    goroutine is asleep with nothing left to wake them.
    """
    return run_with(main, args, kwargs)


def run_with(main: Callable[..., Any], args: tuple[Any, ...] = (),
             kwargs: dict[str, Any] | None = None, *, clock: Clock | None = None,
             seed: int | None = None) -> Any:
    """run_with is :func:`run` with a clock and a ``select`` seed (used by ``gonet.testing``)."""
    if current_sched() is not None:
        raise RuntimeError("gonet: run() called while a runtime is running on this thread")
    return Runtime(clock, seed).run_main(main, args, kwargs or {})


def go(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Goroutine:
    """go starts ``fn(*args, **kwargs)`` in a new goroutine and returns at once.

    New goroutines run in FIFO order. ``RuntimeError`` outside a runtime.
    """
    g = getsched().new_goroutine(fn, args, kwargs)
    # Untracked (compiled): only g holds the fresh tuple, until gostart or shutdown drop it.
    untrack(args)
    return g


def current() -> Goroutine:
    """current returns the running goroutine; ``RuntimeError`` outside one."""
    return getsched().checkg()


def gosched() -> None:
    """gosched yields the thread to the other runnable goroutines (Go's ``runtime.Gosched``)."""
    getsched().gosched()


def sleep(seconds: float) -> None:
    """sleep parks the goroutine for ``seconds``; ``sleep(0)`` (or less) just yields.

    ``ValueError`` for NaN (as ``time.sleep``); ``inf`` parks for ever, with
    no timer (so a runtime whose every goroutine sleeps for ever is
    deadlocked).
    """
    s = getsched()
    d = check_duration("sleep", seconds)
    if d is not None and d <= 0:
        s.gosched()
        return
    g = s.checkg()
    if d is None:
        s.gopark(WAIT_SLEEP)
        return
    timer = s.timers.add(s.clock.now() + d, wake_token, (g, g.parkseq))
    try:
        s.gopark(WAIT_SLEEP)
    finally:
        s.timers.cancel(timer)
