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
from .chan import _CLOSED, _EMPTY, Chan, ChanClosedError, Sudog
from .g import WAIT_SELECT, WAIT_SELECT_NO_CASES, current_sched, getsched

__all__ = ["select"]


def select(*cases: Any, default: bool = False) -> tuple[int, Any, bool]:
    """select waits until one of ``cases`` can proceed and performs it.

    Returns ``(index, value, ok)``; see the module docstring for the case
    forms, the random choice among ready cases and ``default``.
    """
    return selectgo(cases, default)


def _randbelow(getrandbits: Any, n: int) -> int:
    """_randbelow is ``random.Random._randbelow`` (getrandbits and rejection): the same draws."""
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r  # type: ignore[no-any-return]


def selectgo(cases: tuple[Any, ...], default: bool) -> tuple[int, Any, bool]:
    """selectgo is :func:`select` with the cases as a tuple (Go's ``runtime.selectgo``)."""
    n = len(cases)
    chans: list[Chan[Any] | None] = [None] * n
    sends: list[bool] = [False] * n
    values: list[Any] = [None] * n
    for i in range(n):
        c = cases[i]
        if c is None:
            continue
        if isinstance(c, Chan):
            chans[i] = c
        elif isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], Chan):
            chans[i] = c[0]
            sends[i] = True
            values[i] = c[1]
        else:
            raise TypeError(f"gonet.select: case {i} must be a Chan (receive), "
                            f"a (Chan, value) tuple (send) or None, not {c!r}")
    here = current_sched()
    for i in range(n):  # after parsing: a bad case is a TypeError whichever runtime owns the rest
        ch = chans[i]
        if ch is not None and ch._rt is not here:  # a channel of another thread's runtime
            ch._rt = owning_runtime(ch._rt, "channel", "send" if sends[i] else "recv")
    s = here if here is not None else getsched()  # getsched raises: no runtime here
    order = list(range(n))
    if n > 1:
        # random.shuffle's Fisher-Yates with its own draws, so a seeded runtime
        # chooses as before, without shuffle's Python-level loop.
        getrandbits = s.random.getrandbits  # type: ignore[attr-defined]
        for i in range(n - 1, 0, -1):
            j = _randbelow(getrandbits, i + 1)
            order[i], order[j] = order[j], order[i]

    # Pass 1: is any case ready now?
    live = 0
    for i in order:
        ch = chans[i]
        if ch is None:
            continue
        live += 1
        # The ownership check above made every channel this runtime's (``here``).
        if sends[i]:
            if ch._send_now(here, values[i]):  # raises ChanClosedError on a closed channel
                return i, None, True
        else:
            v = ch._take(here)
            if v is _CLOSED:
                return i, None, False
            if v is not _EMPTY:
                return i, v, True
    if default:
        return -1, None, False

    g = s.checkg()
    if live == 0:
        s.gopark(WAIT_SELECT_NO_CASES)  # only shutdown (or a deadlock report) ends this
        raise RuntimeError("gonet: select with no cases woke up")

    # Pass 2: enqueue on every channel and park once.
    seq = g.parkseq
    sudogs: list[Sudog] = []
    for i in order:
        ch = chans[i]
        if ch is None:
            continue
        is_send = sends[i]
        sg = Sudog(g, seq, values[i] if is_send else None, i, is_send)
        sudogs.append(sg)
        (ch.sendq if is_send else ch.recvq).append(sg)
    fired: Sudog | None = None
    try:
        fired = s.gopark(WAIT_SELECT)
    finally:
        # Pass 3: unlink the sudogs that did not fire (Go's dequeueSudoG).
        for sg in sudogs:
            if sg is fired:
                continue
            ch = chans[sg.index]
            assert ch is not None
            q = ch.sendq if sg.is_send else ch.recvq
            try:
                q.remove(sg)
            except ValueError:
                pass
    assert fired is not None
    if fired.is_send:
        if not fired.success:
            raise ChanClosedError("send on closed channel")
        return fired.index, None, True
    return fired.index, fired.elem, fired.success
