"""Signals relayed to channels (Go's ``os/signal``: ``Notify``, ``Stop``; ``runtime/sigqueue.go``).

``signal_notify(ch, SIGTERM)`` installs a Python handler for SIGTERM that
relays each delivery to ``ch`` as a non-blocking send of the
:class:`signal.Signals` value; if ``ch`` has no room the signal is dropped,
exactly as Go's ``Notify`` documents ("the caller must ensure that c has
sufficient buffer space"). ``signal_stop(ch)`` ends the relay; once no
channel wants a signal its previous handler is put back.

How a signal reaches the goroutine: CPython runs Python signal handlers on
the main thread, between two bytecodes — possibly in the middle of a
goroutine's channel operation — so the handler must not touch the channel.
It *posts* the send to the owning runtime (:mod:`.callq`; re-entrant and
safe there), whose scheduler performs it at the start of its next round.
The runtime is woken at once: the post writes its eventfd, and the
runtime's ``signal.set_wakeup_fd`` socket (:mod:`.netpoll_epoll`) already
broke the ``epoll_wait`` the signal interrupted. Go does the same with a
dedicated goroutine reading a signal queue; a posted call needs neither.

Python delivers signals to the main thread only, so only a runtime running
on the main thread can be notified. A runtime with a relay active is never
reported as deadlocked: a signal may still arrive.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any

from .g import getsched

if TYPE_CHECKING:
    from .chan import Chan
    from .proc import Runtime

__all__ = ["forget_runtime", "reset_after_fork", "signal_notify", "signal_stop"]

#: Signals a program cannot catch, or that Go turns into panics and never relays.
_NOT_RELAYED = frozenset(
    getattr(signal, name) for name in ("SIGKILL", "SIGSTOP", "SIGSEGV", "SIGBUS", "SIGFPE",
                                       "SIGILL") if hasattr(signal, name))

# signum -> the channels it is relayed to, each with its runtime (insertion order).
_wanted: dict[int, dict[Chan[Any], Runtime]] = {}
# signum -> the handler in place before the first relay of it.
_saved: dict[int, Any] = {}
# The runtimes that have at least one relay (each holds one external_wakers count).
_holders: dict[Runtime, int] = {}


def _all_signals() -> list[int]:
    return sorted(s for s in signal.valid_signals() if s not in _NOT_RELAYED)


def _on_signal(signum: int, frame: Any) -> None:
    # The Python handler, on the main thread: hand the sends to their runtimes.
    for ch, rt in list(_wanted.get(signum, {}).items()):
        try:
            rt.post(_deliver, ch, signum)
        except RuntimeError:
            pass  # that runtime has shut down; forget_runtime() cleans up


def _deliver(ch: Chan[Any], signum: int) -> None:
    # On the owning runtime's thread: Go's non-blocking send; a full channel drops it.
    if ch in _wanted.get(signum, ()) and not ch.closed:
        try:
            sig: int = signal.Signals(signum)
        except ValueError:  # a real-time signal between SIGRTMIN and SIGRTMAX has no name
            sig = signum
        ch.try_send(sig)


def signal_notify(ch: Chan[Any], *signals: int) -> None:
    """signal_notify relays the given signals to ``ch`` (Go's ``signal.Notify``).

    Each delivery is a non-blocking send of the :class:`signal.Signals`
    value (a plain int for an unnamed real-time signal): when ``ch`` is
    full the signal is dropped, so give it a buffer (``Chan(1)`` is enough
    for a shutdown signal). With no signals, every
    signal that can be caught is relayed (Go's rule; SIGKILL, SIGSTOP and the
    synchronous SIGSEGV, SIGBUS, SIGFPE, SIGILL never are). Calling it again
    for the same channel adds signals. The previous handlers come back once
    no channel wants their signal (:func:`signal_stop`, or the end of the
    runtime). While a relay is active the runtime is not reported as
    deadlocked. Raises ``RuntimeError`` unless called in a goroutine of a
    runtime on the main thread (Python runs signal handlers only there),
    ``ValueError`` for an invalid signal number.
    """
    rt: Runtime = getsched()  # type: ignore[assignment]
    rt.checkg()
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("gonet: signal_notify needs a runtime on the main thread "
                           "(Python runs signal handlers only there)")
    from .chan import Chan

    if not isinstance(ch, Chan):
        raise TypeError(f"gonet: signal_notify needs a Chan, not {type(ch).__name__}")
    if ch._rt is not rt:
        from .callin import owning_runtime

        ch._rt = owning_runtime(ch._rt, "channel", "signal_notify")
    sigs = [int(s) for s in signals] if signals else _all_signals()
    valid = signal.valid_signals()
    for s in sigs:
        if s not in valid or s in _NOT_RELAYED:
            raise ValueError(f"gonet: signal_notify: signal {s} cannot be relayed")
    for s in sigs:
        if s not in _saved:
            _saved[s] = signal.signal(s, _on_signal)
        _wanted.setdefault(s, {})[ch] = rt
    if rt not in _holders:
        _holders[rt] = 1
        rt.external_wakers += 1


def signal_stop(ch: Chan[Any]) -> None:
    """signal_stop ends every relay to ``ch`` (Go's ``signal.Stop``).

    When it returns, ``ch`` receives no more signals (sends already posted
    are dropped too). A signal no channel wants any more gets its previous
    handler back. Stopping a channel that has no relay does nothing.
    ``RuntimeError`` off the main thread (handlers can be changed only there).
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("gonet: signal_stop must be called on the main thread "
                           "(where signal_notify installed its handlers)")
    _remove(lambda c, rt: c is ch)


def forget_runtime(rt: Runtime) -> None:
    """forget_runtime ends the relays of ``rt``'s channels (its shutdown, on the main thread)."""
    _remove(lambda c, r: r is rt)


def _remove(match: Any) -> None:
    touched: set[Runtime] = set()
    for s in list(_wanted):
        chans = _wanted[s]
        for c, r in list(chans.items()):
            if match(c, r):
                del chans[c]
                touched.add(r)
        if not chans:
            del _wanted[s]
            old = _saved.pop(s)
            signal.signal(s, old if old is not None else signal.SIG_DFL)
    for r in touched:
        if r in _holders and not any(r in chans.values() for chans in _wanted.values()):
            del _holders[r]
            r.external_wakers -= 1


def reset_after_fork() -> None:
    """reset_after_fork ends every relay in a forked child and puts the old handlers back."""
    for s, old in list(_saved.items()):
        try:
            signal.signal(s, old if old is not None else signal.SIG_DFL)
        except (ValueError, OSError):
            pass
    _saved.clear()
    _wanted.clear()
    _holders.clear()
