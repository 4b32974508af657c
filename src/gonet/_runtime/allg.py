"""allg: the goroutines of a runtime that are alive (Go's ``allgs``), as an intrusive list.

A leaf below the scheduler. ``go()`` adds every goroutine and ``goexit0`` (or
shutdown) removes it; the debugger (:mod:`.gtrace`), shutdown and the leak
checks walk it. Doubly linked through the goroutines' own ``allprev`` and
``allnext``, so adding and removing are a few field stores: a dict's insert
and pop were ≈ 200 instructions per goroutine, and its entries 50 bytes each.

The links form a cycle between live goroutines, which the cyclic GC does not
see (``go()`` untracks them, :mod:`.gctrack`): :meth:`AllGs.remove` and
:meth:`AllGs.clear` unlink, so no dead goroutine keeps a link.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .g import Goroutine

__all__ = ["AllGs"]


class AllGs:
    """AllGs is the list of a runtime's live goroutines, oldest first."""

    __slots__ = ("first", "last", "n")

    def __init__(self) -> None:
        self.first: Goroutine | None = None
        self.last: Goroutine | None = None
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[Goroutine]:
        """Iterates over a snapshot: the list may change while the caller walks it."""
        return iter(self.values())

    def values(self) -> list[Goroutine]:
        """values returns the live goroutines, oldest first (a new list)."""
        out = []
        g = self.first
        while g is not None:
            out.append(g)
            g = g.allnext
        return out

    def add(self, g: Goroutine) -> None:
        """add appends ``g``, which is in no list."""
        last = self.last
        g.allprev = last
        g.allnext = None
        if last is None:
            self.first = g
        else:
            last.allnext = g
        self.last = g
        self.n += 1

    def remove(self, g: Goroutine) -> None:
        """remove unlinks ``g``; a no-op if it is not in the list (already removed)."""
        prev = g.allprev
        nxt = g.allnext
        if prev is None and self.first is not g:
            return
        if prev is None:
            self.first = nxt
        else:
            prev.allnext = nxt
        if nxt is None:
            self.last = prev
        else:
            nxt.allprev = prev
        g.allprev = None
        g.allnext = None
        self.n -= 1

    def clear(self) -> None:
        """clear empties the list, unlinking every goroutine."""
        g = self.first
        while g is not None:
            nxt = g.allnext
            g.allprev = None
            g.allnext = None
            g = nxt
        self.first = None
        self.last = None
        self.n = 0
