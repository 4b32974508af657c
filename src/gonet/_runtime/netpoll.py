"""The netpoller: pollDesc and its operations (Go's ``runtime/netpoll.go``, go1.22).

The backend (:mod:`.netpoll_epoll`) is a leaf with this contract, the same in
both builds: register each fd once, edge-triggered for both directions;
unregister once before ``close(2)``;
events on the backend's own descriptors (``wakefd``, ``sigfd``) go back to it
through ``own_event(fd)``; ``wake()`` is thread-safe and idempotent. The plain
build waits through ``backend.poll(timeout)``, the compiled one with C
``epoll_wait`` on ``backend.fileno()``; :meth:`Netpoll.poll` is the one loop
that dispatches the events and counts them in ``Netpoll.calls``.

pollDesc
--------
Every descriptor the runtime waits on has a :class:`PollDesc`. Its ``rg``
(reader) and ``wg`` (writer) fields are Go's binary semaphores::

    rg / wg:   None  --edge, nobody waiting-->  READY
               None  --goroutine parks------->  G (the parked goroutine)
               READY --goroutine waits------->  None (consumed; wait returns at once)
               G     --edge------------------>  READY, G made runnable; it consumes READY
               G     --deadline / close------>  None,  G made runnable; it checks the error

Go also has a transient WAIT state for the window between a goroutine
committing to park and actually parking, during which another thread's
netpoll may run. Here the netpoller runs only on the scheduler, never between
those two steps, so WAIT collapses into G. Everything else is Go's: an edge
that lands while nobody waits is latched as READY and never lost; a second
goroutine waiting on the same side is a bug (``runtime: double wait``; the
fdMutex serialises readers and writers above this layer).

Deadlines
---------
``rd``/``wd`` are absolute clock times: ``0.0`` no deadline, ``-1.0`` expired
(sticky until the next ``set_deadline``), otherwise a pending timer
``rt``/``wt`` owned by the pollDesc. Moving a deadline re-arms the timer;
a deadline moved into the past expires at once and wakes the parked goroutine.
Go guards its timers with ``rseq``/``wseq``; the timer heap's own sequence
numbers (:mod:`.timers`) give the same guarantee: a re-armed or cancelled
timer never fires its old entry.

Stale events and fd reuse
-------------------------
Go tags the pollDesc pointer stored in ``epoll_data`` with a sequence number
because pollDescs are recycled. Python's epoll returns only the fd number, so
the fd → pollDesc map is the tag: a pollDesc leaves the map (and epoll) in
:meth:`Netpoll.close` before its descriptor is closed, events of one
``epoll_wait`` are dispatched before any goroutine runs (so no close can slip
between an event and its dispatch), and deadline timers are cancelled at
close and check ``closing`` when they fire. A new owner of a reused fd number
starts with a fresh pollDesc (``seq`` increases), so nothing of the old one
can reach it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import throw
from .g import WAIT_IO
from .gstatus import RUNNABLE, WAITING
from .netpoll_epoll import (
    EVENT_SIZE,
    HUP_EVENTS,
    MAX_EVENTS,
    MAX_WAIT,
    READ_EVENTS,
    WRITE_EVENTS,
    EpollPoller,
)
from .timers import Timer

try:
    import cython
except ImportError:  # plain Python without Cython installed
    from . import _cython as cython

if not cython.compiled:  # compiled, these come from g.pxd / netpoll.pxd
    from .g import greenlet_import

greenlet_import()  # each compiled module needs its own copy of the C API table

if TYPE_CHECKING:
    from .g import Sched

__all__ = [
    "POLL_ERR_CLOSING",
    "POLL_ERR_TIMEOUT",
    "POLL_NO_ERROR",
    "READY",
    "Netpoll",
    "PollDesc",
]


class _Ready:
    __slots__ = ()

    def __repr__(self) -> str:
        return "READY"


#: Go's pdReady: an edge arrived while nobody waited.
READY: Any = _Ready()

INF = float("inf")

# Error codes of poll_wait (Go's pollNoError, pollErrClosing, pollErrTimeout).
POLL_NO_ERROR = 0
POLL_ERR_CLOSING = 1
POLL_ERR_TIMEOUT = 2

# The names the inline functions of netpoll.pxd read. Compiled, they are C
# globals declared there and assigned here (other modules that inline those
# functions reach them through the module's C API), so each value has this one
# definition in both builds.
_READY: Any = READY
_WAIT_IO: str = WAIT_IO
_WAITING: int = WAITING
_RUNNABLE: int = RUNNABLE
_POLL_NO_ERROR: int = POLL_NO_ERROR
_POLL_ERR_CLOSING: int = POLL_ERR_CLOSING
_POLL_ERR_TIMEOUT: int = POLL_ERR_TIMEOUT
_READ_EVENTS: int = READ_EVENTS
_WRITE_EVENTS: int = WRITE_EVENTS
_HUP_EVENTS: int = HUP_EVENTS
_MAX_WAIT: float = MAX_WAIT


class PollDesc:
    """PollDesc is the runtime state of one polled descriptor (Go's ``pollDesc``)."""

    __slots__ = (
        "closing",
        "fd",
        "hup",
        "netpoll",
        "rd",
        "rg",
        "rt",
        "rtoken",
        "seq",
        "user",
        "wd",
        "wg",
        "wt",
        "wtoken",
    )

    def __init__(self, netpoll: Netpoll, fd: int, seq: int, user: Any) -> None:
        self.netpoll = netpoll
        self.fd = fd
        self.seq = seq
        self.user = user  # the owning poll.FD, closed at runtime shutdown
        self.rg: Any = None
        self.wg: Any = None
        self.rtoken = 0
        self.wtoken = 0
        self.rd = 0.0
        self.wd = 0.0
        self.rt: Timer | None = None
        self.wt: Timer | None = None
        self.closing = False
        #: Sticky: an event said the peer hung up or the socket has an error.
        #: Such a condition makes every later read return at once *without* a
        #: new edge, so a reader must not park on it (see poll.FD.read).
        self.hup = False

    def __repr__(self) -> str:
        return f"<PollDesc fd={self.fd} seq={self.seq} rg={self.rg!r} wg={self.wg!r}>"


class Netpoll:
    """Netpoll is one runtime's poller: the epoll backend plus the fd → pollDesc map."""

    __slots__ = ("_seq", "backend", "calls", "count", "epfd", "evbuf", "fdtab", "rt", "sigfd",
                 "wakefd")

    def __init__(self, rt: Sched) -> None:
        self.rt = rt
        self.backend = EpollPoller()
        # fd -> pollDesc as a list indexed by fd (Go keeps the pointer in the
        # epoll event): a lookup is one index, and a dict entry per connection
        # would cost more memory than the list slot. count: how many are set.
        self.fdtab: list[PollDesc | None] = []
        self.count = 0
        self.epfd = self.backend.fileno()
        self.wakefd = self.backend.wakefd
        self.sigfd = -1  # the signal wake-up socket, once installed (main thread only)
        self.evbuf = bytearray(MAX_EVENTS * EVENT_SIZE)
        self._seq = 0
        #: How many times poll() waited (gonet.stats()'s netpoll_calls): a C field
        #: compiled, so the count costs one increment per poll, not an attribute
        #: round trip through the backend object.
        self.calls = 0

    def install_signal_wakeup(self) -> None:
        """install_signal_wakeup makes signals wake a blocked poll (see the backend's method)."""
        self.backend.install_signal_wakeup()
        self.sigfd = self.backend.sigfd

    def restore_signal_wakeup(self) -> None:
        """restore_signal_wakeup undoes :meth:`install_signal_wakeup`."""
        self.sigfd = -1
        self.backend.restore_signal_wakeup()

    # --- open / close (poll_runtime_pollOpen / pollClose) -------------------------------

    def open(self, fd: int, user: Any = None) -> PollDesc:
        """open registers ``fd`` with epoll, once, and returns its pollDesc."""
        fdtab = self.fdtab
        if fd < len(fdtab) and fdtab[fd] is not None:
            raise throw(f"runtime: netpoll open of fd {fd} that is already registered")
        self.backend.register(fd)
        self._seq += 1
        pd = PollDesc(self, fd, self._seq, user)
        if fd >= len(fdtab):
            fdtab.extend([None] * (fd + 1 - len(fdtab)))
        fdtab[fd] = pd
        self.count += 1
        return pd

    def registered(self) -> list[PollDesc]:
        """registered lists the pollDescs of every registered descriptor."""
        return [pd for pd in self.fdtab if pd is not None]

    def close(self, pd: PollDesc) -> None:
        """close unregisters ``pd``'s fd and drops its user; the caller closes the descriptor afterwards.

        Like Go's pollClose it requires that nobody waits on it any more
        (``unblock`` and the fdMutex reference count see to that).
        """
        if (pd.rg is not None and pd.rg is not READY) or (pd.wg is not None and pd.wg is not READY):
            raise throw("runtime: blocked write on closing polldesc")
        self._deltimers(pd)
        pd.user = None
        fdtab = self.fdtab
        if pd.fd < len(fdtab) and fdtab[pd.fd] is pd:
            fdtab[pd.fd] = None
            self.count -= 1
            try:
                self.backend.unregister(pd.fd)
            except OSError:
                pass  # the descriptor was closed behind our back; it left epoll with it

    # --- netpoll(delay): epoll_wait and netpollready -------------------------------------

    def poll(self, timeout: float) -> int:
        """poll waits up to ``timeout`` seconds and readies the goroutines whose fds fired.

        Returns the number of events on pollDescs. A reader is woken by
        IN/RDHUP/HUP/ERR, a writer by OUT/HUP/ERR, exactly as Go's ``netpoll``
        sorts them. One loop for both builds: only where the events come from
        differs (compiled, C ``epoll_wait`` into ``evbuf``, no tuple per event).
        """
        self.calls += 1
        if cython.compiled:
            n = epoll_wait_into(self.epfd, self.evbuf, epoll_ms(timeout))  # type: ignore[name-defined]  # noqa: F821 (.pxd)
            evs = event_array(self.evbuf)  # type: ignore[name-defined]  # noqa: F821
        else:
            events = self.backend.poll(timeout)
            n = len(events)
        if n == 0:
            return 0
        fdtab = self.fdtab
        ntab = len(fdtab)
        runq = self.rt.runq
        wakefd = self.wakefd
        sigfd = self.sigfd
        count = 0
        for i in range(n):
            if cython.compiled:
                fd = evs[i].data.fd
                ev = evs[i].events
            else:
                fd, ev = events[i]
            if fd == wakefd or fd == sigfd:  # noqa: SIM109 (two C int compares)
                self.backend.own_event(fd)
                continue
            count += 1
            if fd >= ntab:
                continue
            pd = fdtab[fd]
            if pd is not None:
                netpollready(pd, ev, runq)
        return count

    # --- waiting (poll_runtime_pollReset / pollWait / netpollblock) ---------------------

    def wait(self, pd: PollDesc, write: bool) -> int:
        """wait parks until ``pd`` is ready for reading (or writing); returns an error code.

        Go's ``poll_runtime_pollWait``: returns ``POLL_NO_ERROR`` when the fd
        may be ready (retry the syscall), ``POLL_ERR_CLOSING`` or
        ``POLL_ERR_TIMEOUT`` otherwise. The one definition is :func:`wait_io`.
        """
        return wait_io(self, pd, write)

    def wait_until(self, pd: PollDesc, write: bool, deadline: float) -> int:
        """wait_until is :meth:`wait` bounded by ``deadline`` for this one wait (a socket timeout).

        The same as ``set_deadline(pd, deadline)`` on that side, :meth:`wait`,
        then clearing the deadline again unless ``pd`` was closed meanwhile —
        in one call, with the clock read once. ``POLL_ERR_TIMEOUT`` at once if
        ``deadline`` has passed. The side's deadline must be unset on entry
        (nobody else sets deadlines on a borrowed descriptor's pollDesc).
        """
        if deadline != deadline:
            raise ValueError("gonet: deadline must be a time, not NaN")
        if pd.closing:
            return POLL_ERR_CLOSING
        rt = self.rt
        if deadline <= rt.clock.now():
            return POLL_ERR_TIMEOUT
        timers = rt.timers
        if write:
            pd.wd = deadline
            t = pd.wt
            if t is None:
                t = pd.wt = Timer(_write_deadline, pd)
        else:
            pd.rd = deadline
            t = pd.rt
            if t is None:
                t = pd.rt = Timer(_read_deadline, pd)
        timers.arm(t, deadline)
        try:
            return wait_io(self, pd, write)
        finally:
            if not pd.closing:
                if write:
                    pd.wd = 0.0
                else:
                    pd.rd = 0.0
                timers.cancel(t)

    def double_wait(self) -> None:
        """double_wait reports a second goroutine waiting on one side of a pollDesc."""
        raise throw("runtime: double wait")

    def _unblock(self, pd: PollDesc, write: bool) -> None:
        """_unblock is netpollunblock(pd, mode, ioready=false): wake a waiter to see an error."""
        if write:
            g = pd.wg
            if g is not None and g is not READY:
                pd.wg = None
                self.rt.goready(g, pd.wtoken)
        else:
            g = pd.rg
            if g is not None and g is not READY:
                pd.rg = None
                self.rt.goready(g, pd.rtoken)

    def evict(self, pd: PollDesc, inherited: bool = False) -> None:
        """evict closes ``pd`` now, whoever waits on it (runtime shutdown, forked child).

        Marks it closing and forgets its waiters without waking them: at
        shutdown they never run again, and in a forked child they belong to the
        parent's abandoned runtime. Then it leaves the fd table and epoll — not
        when ``inherited``: the child's epoll instance is the parent's, so it is
        left alone (no ``epoll_ctl``).
        """
        pd.closing = True
        pd.rg = None
        pd.wg = None
        if inherited:
            pd.user = None  # its timers die with the parent's runtime, never run here
        else:
            self.close(pd)

    def latch_ready(self, pd: PollDesc, write: bool) -> None:
        """latch_ready latches a readiness edge on one side of ``pd`` that nobody waits on.

        For fault injection (``gonet.testing.socktest``): an injected ``EAGAIN``
        is followed by the edge a real kernel would deliver, so the READY latch
        is what makes the retry proceed. Nobody can be parked on that side:
        the goroutine that saw the ``EAGAIN`` is the one that will wait.
        """
        if write:
            if pd.wg is None:
                pd.wg = _READY
        elif pd.rg is None:
            pd.rg = _READY

    def is_closing(self, pd: PollDesc) -> bool:
        """is_closing reports whether ``pd`` was unblocked for close (Go's ``pd.closing``)."""
        return bool(pd.closing)

    def hung_up(self, pd: PollDesc) -> bool:
        """hung_up reports a sticky hang-up or error on ``pd`` (reads return at once without an edge)."""
        return bool(pd.hup)

    # --- deadlines (poll_runtime_pollSetDeadline) --------------------------------------

    def set_deadline(self, pd: PollDesc, d: float | None, read: bool, write: bool) -> None:
        """set_deadline sets the read and/or write deadline of ``pd`` to clock time ``d``.

        ``None`` (or ``inf``) clears it; a time not after now expires it at
        once (sticky until the next call) and wakes a goroutine parked on that
        side. ``ValueError`` for NaN.
        """
        if d is not None and d != d:
            raise ValueError("gonet: deadline must be a time, not NaN")
        if pd.closing:
            return
        rt = self.rt
        if d is None or d == INF:
            dl = 0.0
        elif d <= rt.clock.now():
            dl = -1.0
        else:
            dl = float(d)
        timers = rt.timers
        if read:
            pd.rd = dl
            if dl > 0.0:
                if pd.rt is None:
                    pd.rt = Timer(_read_deadline, pd)
                timers.arm(pd.rt, dl)
            elif pd.rt is not None:
                timers.cancel(pd.rt)
            if dl < 0.0:
                self._unblock(pd, False)
        if write:
            pd.wd = dl
            if dl > 0.0:
                if pd.wt is None:
                    pd.wt = Timer(_write_deadline, pd)
                timers.arm(pd.wt, dl)
            elif pd.wt is not None:
                timers.cancel(pd.wt)
            if dl < 0.0:
                self._unblock(pd, True)

    # --- close (poll_runtime_pollUnblock) ----------------------------------------------

    def unblock(self, pd: PollDesc) -> None:
        """unblock marks ``pd`` closing and wakes its reader and writer to see ``ClosedError``."""
        if pd.closing:
            raise throw("runtime: unblock on closing polldesc")
        pd.closing = True
        self._deltimers(pd)
        self._unblock(pd, False)
        self._unblock(pd, True)

    def _deltimers(self, pd: PollDesc) -> None:
        timers = self.rt.timers
        if pd.rt is not None:
            timers.cancel(pd.rt)
        if pd.wt is not None:
            timers.cancel(pd.wt)

    def close_all(self) -> None:
        """close_all closes every descriptor still registered, then the backend (shutdown)."""
        for pd in self.registered():
            user = pd.user
            if user is not None and hasattr(user, "force_close"):
                user.force_close()
            else:
                self.close(pd)
        self.fdtab.clear()
        self.count = 0
        self.backend.close()


def _read_deadline(pd: PollDesc) -> None:
    # netpollReadDeadline: the timer fired on the scheduler.
    if pd.closing:
        return
    pd.rd = -1.0
    pd.netpoll._unblock(pd, False)


def _write_deadline(pd: PollDesc) -> None:
    if pd.closing:
        return
    pd.wd = -1.0
    pd.netpoll._unblock(pd, True)


if not cython.compiled:  # compiled, these are netpoll.pxd's inline functions
    from .netpoll_twins import epoll_ms, netpollready, wait_io
