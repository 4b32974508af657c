"""Sudog and WaitQ: the nodes and queues of goroutines parked on a channel (Go's ``sudog``, ``waitq``).

Plain data, shared by :mod:`.chan` and :mod:`.selectgo`, which own every
transition of them (acquire, enqueue, unlink, dequeue, release).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chan import _Chan
    from .g import Goroutine

__all__ = ["Sudog", "WaitQ"]


class Sudog:
    """Sudog is a goroutine waiting on one channel operation (Go's ``sudog``).

    It is a node of its channel's :class:`WaitQ` (``prev``/``next``), and
    ``waitlink`` chains the sudogs of one ``select``. Each goroutine keeps the
    sudogs it has used in ``Goroutine.sudog`` (linked through ``next``) and
    takes them from there (:func:`.chan.acquire_sudog`): a channel operation that
    parks allocates nothing once its goroutine has parked before (Go's
    per-P ``sudogcache``, per goroutine here: no lock, no bound to keep).

    Compiled, the cyclic GC does not track sudogs (:func:`.chan.acquire_sudog`
    untracks each new one: one tracked object less per parked goroutine, and
    the GC was a third of the time of spawning 100,000 goroutines), so a cycle
    through one would never be collected. None can be left behind:

    * a cached sudog references only the next cached one (``g``, ``c``,
      ``elem`` and ``waitlink`` are dropped by :func:`.chan.release_sudog`; ``prev``
      is None once unlinked), and the chain ends with its goroutine (goexit0);
    * a sudog in use (acquire to release) is referenced by its channel's queue
      and by the parked goroutine's C stack, and its goroutine is alive in the
      runtime's ``allgs``; every way out of the wait unlinks it from every
      queue (``chan.park_on``, ``select``'s pass 3), and a throw (shutdown) then
      drops the last reference: refcounting frees it without the GC;
    * the one other holder, ``Goroutine.wakeval`` (goready to gopark's
      return), is cleared by gopark, and by goexit0 when a goroutine readied
      and killed at shutdown never returned from gopark.

    tests/test_goroutine_gc.py checks that channels used by goroutines killed
    in every such state are freed (both builds).
    """

    __slots__ = ("c", "elem", "g", "index", "is_send", "next", "prev", "seq", "success",
                 "waitlink")

    def __init__(self) -> None:
        # g and c are set by acquire_sudog and dropped by release_sudog: None
        # only while the sudog sits in its goroutine's cache, never on a queue.
        self.g: Goroutine = None  # type: ignore[assignment]
        self.seq = 0
        self.c: _Chan = None  # type: ignore[assignment]
        self.elem: Any = None
        self.index = 0  # the select case this sudog stands for (0 outside select)
        self.is_send = False
        self.success = False  # True: the operation happened; False: woken by close
        self.prev: Sudog | None = None
        self.next: Sudog | None = None
        self.waitlink: Sudog | None = None


class WaitQ:
    """WaitQ is a channel's queue of parked senders or receivers (Go's ``waitq``).

    Intrusive and doubly linked through the sudogs, so a ``select`` unlinks the
    cases that did not fire in O(1) (Go's ``dequeueSudoG``), without searching.
    """

    __slots__ = ("first", "last")

    def __init__(self) -> None:
        self.first: Sudog | None = None
        self.last: Sudog | None = None

    def __len__(self) -> int:
        n = 0
        sg = self.first
        while sg is not None:
            n += 1
            sg = sg.next
        return n
