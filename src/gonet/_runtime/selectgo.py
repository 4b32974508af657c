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
from .chan import Chan, ChanClosedError, Sudog
from .g import WAIT_SELECT, WAIT_SELECT_NO_CASES, current_sched, getsched

__all__ = ["select"]


def _parse(cases: tuple[Any, ...]) -> list[tuple[Chan[Any] | None, bool, Any]]:
    parsed: list[tuple[Chan[Any] | None, bool, Any]] = []
    for i, c in enumerate(cases):
        if c is None:
            parsed.append((None, False, None))
        elif isinstance(c, Chan):
            parsed.append((c, False, None))
        elif isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], Chan):
            parsed.append((c[0], True, c[1]))
        else:
            raise TypeError(f"gonet.select: case {i} must be a Chan (receive), "
                            f"a (Chan, value) tuple (send) or None, not {c!r}")
    return parsed


def select(*cases: Any, default: bool = False) -> tuple[int, Any, bool]:
    """select waits until one of ``cases`` can proceed and performs it.

    Returns ``(index, value, ok)``; see the module docstring for the case
    forms, the random choice among ready cases and ``default``.
    """
    parsed = _parse(cases)
    here = current_sched()
    for ch, is_send, _ in parsed:
        if ch is not None and ch._rt is not here:  # a channel of another thread's runtime
            ch._rt = owning_runtime(ch._rt, "channel", "send" if is_send else "recv")
    s = getsched()
    order = list(range(len(parsed)))
    if len(order) > 1:
        s.random.shuffle(order)  # type: ignore[attr-defined]

    # Pass 1: is any case ready now?
    for i in order:
        ch, is_send, value = parsed[i]
        if ch is None:
            continue
        if is_send:
            if ch.try_send(value):  # raises ChanClosedError on a closed channel
                return i, None, True
        else:
            v, ok, done = ch.try_recv()
            if done:
                return i, v, ok
    if default:
        return -1, None, False

    g = s.checkg()
    if all(c[0] is None for c in parsed):
        s.gopark(WAIT_SELECT_NO_CASES)  # only shutdown (or a deadlock report) ends this
        raise RuntimeError("gonet: select with no cases woke up")

    # Pass 2: enqueue on every channel and park once.
    seq = g.parkseq
    sudogs: list[tuple[Chan[Any], Sudog]] = []
    for i in order:
        ch, is_send, value = parsed[i]
        if ch is None:
            continue
        sg = Sudog(g, seq, value if is_send else None, i, is_send)
        sudogs.append((ch, sg))
        (ch.sendq if is_send else ch.recvq).append(sg)
    fired: Sudog | None = None
    try:
        fired = s.gopark(WAIT_SELECT)
    finally:
        # Pass 3: unlink the sudogs that did not fire (Go's dequeueSudoG).
        for ch, sg in sudogs:
            if sg is fired:
                continue
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


