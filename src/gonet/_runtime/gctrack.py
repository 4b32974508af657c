"""gctrack: keeping the runtime's own objects out of the cyclic GC while they cannot be garbage.

A leaf below the scheduler. CPython's cyclic collector walks every tracked
container in a generation on each collection, and its full collections come
more often the more tracked objects survive. A parked goroutine is two tracked
containers — its ``Goroutine`` and its greenlet — so 100,000 of them made the
collector about a third of the time of spawning them (``chan_bench.py park``:
0.59 s with the GC on, 0.37 s with it off).

Neither can be garbage while the goroutine is alive: the runtime's ``allgs``
holds every goroutine from ``go()`` until ``goexit0`` (or shutdown), and the
goroutine holds its greenlet. Untracking an object never frees anything early
— the collector only treats what the object refers to as referenced from
outside — it can only hide a cycle that runs through the object, and no
unreachable cycle can run through an object that ``allgs`` reaches. So the
runtime untracks both at ``go()`` and tracks them again when the goroutine
leaves ``allgs`` (its end, or shutdown), before any cycle through them could
become unreachable: from then on the collector sees them as before.

The same reasoning lets ``go()`` untrack its fresh argument tuple and ``chan``
its sudogs (see ``sudog.Sudog``): each is held by one owner that the runtime
reaches.

Compiled, these are ``gctrack.pxd``'s inline C functions
(``PyObject_GC_UnTrack``/``PyObject_GC_Track``). Plain Python has no way to
untrack an object, so here they do nothing: the plain build only collects
more often.
"""

from __future__ import annotations

from typing import Any

__all__ = ["retrack", "untrack"]


def untrack(obj: Any) -> None:
    """untrack takes ``obj`` out of the cyclic GC's lists (compiled build only)."""


def retrack(obj: Any) -> None:
    """retrack puts an untracked ``obj`` back in the cyclic GC's lists (compiled build only)."""
