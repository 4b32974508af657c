"""select over several channel operations (Go's ``runtime/select.go``: selectgo).

Signature::

    index, value, ok = gonet.select(case0, case1, ..., default=False)

A case is

* a :class:`Chan` — receive from it;
* a 2-tuple ``(chan, value)`` — send ``value`` on it;
* ``None`` — a nil channel: never ready (handy for disabling a case).

``select`` returns the index of the case that proceeded. For a receive,
``value`` is the value received and ``ok`` is False when the channel was
closed and drained (Go's ``v, ok := <-ch`` inside ``select``; no exception,
so a loop can react to closed channels). For a send, ``value`` is None and
``ok`` True. When several cases are ready, one is chosen uniformly at random
(the runtime's seeded random source). With ``default=True`` and no case
ready, it returns ``(-1, None, False)`` at once instead of parking. A send
case on a closed channel raises :class:`ChanClosedError`, as Go panics.
With no non-nil case and no default it parks forever (Go's ``select {}``).

As in Go, it works in three passes: look for a ready case in random order;
otherwise enqueue a sudog on every channel and park once; when woken, the
winning sudog tells which case fired and the others are unlinked.
"""

from __future__ import annotations

from typing import Any

from .callin import owning_runtime
from .chan import Chan, ChanClosedError, _Chan
from .g import WAIT_SELECT, WAIT_SELECT_NO_CASES, Goroutine, Sched, current_sched, getsched
from .sudog import Sudog

try:
    import cython
except ImportError:  # plain Python without Cython installed
    from . import _cython as cython

if not cython.compiled:  # compiled, chan.pxd's C functions and sentinels
    from .chan import _CLOSED, _EMPTY, acquire_sudog, enqueue, release_sudog, unlink
    from .g import fastrandn, thread_ident

__all__ = ["select"]

# An absent case: the value of select's positional slots ``c0``/``c1`` when the
# caller passed fewer cases. A private sentinel, not None (None is a nil case).
_NO_CASE: Any = object()


def select(c0: Any = _NO_CASE, c1: Any = _NO_CASE, /, *more: Any,
           default: bool = False) -> tuple[int, Any, bool]:
    """select waits until one of the cases can proceed and performs it: ``select(*cases, default=False)``.

    Returns ``(index, value, ok)``; see the module docstring for the case
    forms, the random choice among ready cases and ``default``. The first two
    cases are named positional slots (``c0``, ``c1``) only so that the common
    one- and two-case calls pass their cases without an argument tuple (the
    compiled build takes them as a vector call); any further ones are ``more``.
    """
    # The common shape, two receive cases, skips selectgo's generic case checks.
    if type(c0) is Chan and type(c1) is Chan and not more:
        return _select_recv2(c0, c1, default)
    return selectgo(c0, c1, more, default)


def _case(c0: Any, c1: Any, more: tuple[Any, ...], i: int) -> Any:
    """_case is case number ``i`` of a select over ``c0``, ``c1`` and then ``more``."""
    if i == 0:
        return c0
    if i == 1:
        return c1
    return more[i - 2]


def _is_recv(c: Any) -> bool:
    """_is_recv tells whether case ``c`` is a receive (a channel).

    A user's channel is a :class:`Chan`, a subclass of the extension type: the
    exact type test first spares ``isinstance`` its walk of the MRO.
    """
    return type(c) is Chan or isinstance(c, _Chan)


def _case_chan(c: Any, i: int) -> _Chan | None:
    """_case_chan is the channel of case ``c`` (number ``i``), None for a nil case; TypeError if malformed."""
    if c is None:
        return None
    if isinstance(c, _Chan):
        return c
    if isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], _Chan):
        return c[0]
    raise TypeError(f"gonet.select: case {i} must be a Chan (receive), "
                    f"a (Chan, value) tuple (send) or None, not {c!r}")


def _sched_of(c0: Any, c1: Any, more: tuple[Any, ...], n: int) -> Sched:
    """_sched_of checks every case and returns the runtime the select runs on.

    A bad case is a TypeError whoever owns the rest. The common case is that
    every channel belongs to the runtime running this goroutine; otherwise
    each channel goes through the ownership check (:func:`_adopt_cases`).
    """
    owner: Sched | None = None
    shared = True  # every channel has the same owner
    for i in range(n):
        c = _case(c0, c1, more, i)
        ch = c if _is_recv(c) else _case_chan(c, i)
        if ch is not None:
            if owner is None:
                owner = ch._rt
            elif ch._rt is not owner:
                shared = False
    if shared and owner is not None and _runs_here(owner):
        return owner
    return _adopt_cases(c0, c1, more, n)


def _runs_here(s: Sched | None) -> bool:
    """_runs_here tells whether ``s`` runs a goroutine on this thread: its channels need no adoption."""
    return s is not None and s.curg is not None and s.thread_id == thread_ident()


def _adopt_cases(c0: Any, c1: Any, more: tuple[Any, ...], n: int) -> Sched:
    """_adopt_cases binds every channel to this thread's runtime or raises (:func:`_sched_of`'s slow path)."""
    here = current_sched()
    for i in range(n):
        c = _case(c0, c1, more, i)
        ch = _case_chan(c, i)
        if ch is not None and ch._rt is not here:  # a channel of another thread's runtime
            ch._rt = owning_runtime(ch._rt, "channel", "recv" if c is ch else "send")
    return here if here is not None else getsched()  # getsched raises: no runtime here


def _shuffled(s: Sched, n: int) -> list[int]:
    """_shuffled is ``range(n)`` in a Fisher-Yates order drawn from the runtime's cheap random source."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = fastrandn(s, i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def selectgo(c0: Any, c1: Any, more: tuple[Any, ...], default: bool) -> tuple[int, Any, bool]:
    """selectgo is :func:`select` over ``c0``, ``c1`` and ``more`` (Go's ``runtime.selectgo``).

    No per-case lists: each pass reads the cases again (a receive case is the
    channel itself, a send case its 2-tuple), the common one- and two-case
    forms draw their order without a list, and the sudogs of pass 2 are
    chained through ``waitlink`` and come from the goroutine's cache.
    """
    if c0 is _NO_CASE:
        n = 0
    elif c1 is _NO_CASE:
        n = 1
    else:
        n = 2 + len(more)
    s = _sched_of(c0, c1, more, n)
    # The order of the passes: random (seeded: reproducible); one draw and no
    # list for two cases.
    order: list[int] | None = None
    swap = 0
    if n == 2:
        swap = fastrandn(s, 2)
    elif n > 2:
        order = _shuffled(s, n)

    # Pass 1: is any case ready now?
    live = 0
    for k in range(n):
        i = order[k] if order is not None else k ^ swap
        c = _case(c0, c1, more, i)
        if c is None:
            continue
        live += 1
        # _sched_of made every channel this runtime's (``s``) and checked every case.
        if _is_recv(c):
            ch = c
            v = ch._take(s)
            if v is _CLOSED:
                return i, None, False
            if v is not _EMPTY:
                return i, v, True
        else:
            ch = c[0]
            if ch._send_now(s, c[1]):  # raises ChanClosedError on a closed channel
                return i, None, True
    if default:
        return -1, None, False
    if live == 0:
        s.checkg()
        s.gopark(WAIT_SELECT_NO_CASES)  # only shutdown (or a deadlock report) ends this
        raise RuntimeError("gonet: select with no cases woke up")
    return _park_select(s, c0, c1, more, n, order, swap)


def _select_recv2(c0: Any, c1: Any, default: bool) -> tuple[int, Any, bool]:
    """_select_recv2 is :func:`selectgo` over two receive cases, ``c0`` and ``c1``, both a :class:`Chan`.

    Both cases are known good and, when one runtime owns both channels and is
    running here, one test covers their owner; otherwise the generic path
    adopts them. The same passes follow, in the same random order (one draw,
    as for any two cases), as on the generic path: a seeded runtime chooses
    alike on both.
    """
    if cython.compiled:  # select has checked the exact type: no second test
        ch0 = cython.cast(_Chan, c0)
        ch1 = cython.cast(_Chan, c1)
    else:
        ch0, ch1 = c0, c1
    s = ch0._rt
    if ch1._rt is not s or not _runs_here(s):
        return selectgo(c0, c1, (), default)
    swap = fastrandn(s, 2)
    first = ch1 if swap else ch0
    v = first._take(s)
    if v is not _EMPTY:
        return _recv_result(swap, v)
    second = ch0 if swap else ch1
    v = second._take(s)
    if v is not _EMPTY:
        return _recv_result(1 - swap, v)
    if default:
        return -1, None, False
    return _park_recv2(s, first, second, swap)


def _recv_result(index: int, v: Any) -> tuple[int, Any, bool]:
    """_recv_result is select's result for receive case ``index`` (0 or 1) that took ``v`` (or _CLOSED).

    The index comes from literals: compiled, the cached int constants, no
    conversion from a C integer on the hot path.
    """
    if v is _CLOSED:
        return (1, None, False) if index else (0, None, False)
    return (1, v, True) if index else (0, v, True)


def _park_recv2(s: Sched, first: _Chan, second: _Chan, swap: int) -> tuple[int, Any, bool]:
    """_park_recv2 is :func:`_park_select` for :func:`_select_recv2`: two receive cases, neither ready.

    The same pass 2 and pass 3, in the same order (``first`` is case ``swap``,
    ``second`` case ``1 - swap``), with the two sudogs in locals instead of a
    chain: the common select parks with the least code. _select_recv2 has
    checked that ``s`` runs a goroutine here, so ``s.curg`` is the caller.
    """
    g = cython.cast(Goroutine, s.curg)
    sg0 = acquire_sudog(g, first, None, swap, False)
    enqueue(first.recvq, sg0)
    sg1 = acquire_sudog(g, second, None, 1 - swap, False)
    enqueue(second.recvq, sg1)
    try:
        fired = s.gopark(WAIT_SELECT)
    except BaseException:  # killed while parked (shutdown): leave no sudog queued
        _unlink_pair(g, first, sg0, second, sg1, None)
        raise
    index = fired.index
    v = fired.elem if fired.success else _CLOSED
    _unlink_pair(g, first, sg0, second, sg1, fired)
    return _recv_result(index, v)


def _unlink_pair(g: Goroutine, first: _Chan, sg0: Sudog, second: _Chan, sg1: Sudog,
                 fired: Sudog | None) -> None:
    """_unlink_pair is :func:`_unlink_all` for :func:`_park_recv2`'s two receive sudogs.

    The sudog that fired is off its queue already (its waker dequeued it).
    """
    if sg0 is not fired:
        unlink(first.recvq, sg0)
    if sg1 is not fired:
        unlink(second.recvq, sg1)
    release_sudog(g, sg0)
    release_sudog(g, sg1)


def _park_select(s: Sched, c0: Any, c1: Any, more: tuple[Any, ...], n: int,
                 order: list[int] | None, swap: int) -> tuple[int, Any, bool]:
    """_park_select is select's passes 2 and 3: no case was ready, so wait on all of them.

    Pass 2 enqueues a sudog on every channel, in pass 1's order, and parks
    once; when woken, the sudog that fired tells which case ran, and pass 3
    (:func:`_unlink_all`) takes the others off their channels. Its own
    function so that a select that pass 1 satisfies carries none of this.
    """
    g = s.checkg()
    chain: Sudog | None = None
    for k in range(n):
        i = order[k] if order is not None else k ^ swap
        c = _case(c0, c1, more, i)
        if c is None:
            continue
        if _is_recv(c):
            ch = c
            sg = acquire_sudog(g, ch, None, i, False)
            enqueue(ch.recvq, sg)
        else:
            ch = c[0]
            sg = acquire_sudog(g, ch, c[1], i, True)
            enqueue(ch.sendq, sg)
        sg.waitlink = chain
        chain = sg
    try:
        fired = s.gopark(WAIT_SELECT)
    except BaseException:  # killed while parked (shutdown): leave no sudog queued
        _unlink_all(g, chain, None)
        raise
    assert fired is not None
    index = fired.index
    elem = fired.elem
    ok = fired.success
    is_send = fired.is_send
    _unlink_all(g, chain, fired)
    if is_send:
        if not ok:
            raise ChanClosedError("send on closed channel")
        return index, None, True
    return index, elem, ok


def _unlink_all(g: Goroutine, chain: Sudog | None, fired: Sudog | None) -> None:
    """_unlink_all takes pass 2's sudogs off their channels (all but ``fired``) and recycles them.

    Pass 3 (Go's dequeueSudoG, O(1) each), written once for the normal and
    the exceptional way out of the park (a ``finally`` is compiled twice: more
    code on a path that already misses the instruction cache most).
    """
    sgl = chain
    while sgl is not None:
        nxt = sgl.waitlink
        if sgl is not fired:
            ch = sgl.c
            unlink(ch.sendq if sgl.is_send else ch.recvq, sgl)
        release_sudog(g, sgl)
        sgl = nxt
