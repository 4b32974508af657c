"""goexit: the first and last frame of every goroutine (Go's ``goexit0``).

Every goroutine's greenlet starts in :func:`goexit_body` (compiled, called
from ``g.goroutine_start``'s C entry, which gives the greenlet a small
data-stack root chunk first: no Python frame of its own), which runs the
goroutine's function, records its outcome, wakes its joiners and tells the
runtime it ended.

This module stays plain Python even in the compiled build, on purpose.
CPython (3.11+) runs a Python function called from Python inside the same
C-level evaluation loop, so the user's function adds no C stack frame on top
of this one. A parked goroutine's C stack is what greenlet copies out at
every switch and keeps on the heap while it is parked: compiled, this frame
alone was 400 bytes of every idle connection and of every switch.
"""

from __future__ import annotations

from .errors import GoroutineExit
from .g import current_sched

__all__ = ["goexit_body"]


def goexit_body() -> None:
    """goexit_body runs the goroutine that its runtime has just made ``curg``."""
    s = current_sched()
    assert s is not None
    # The runtime's gostart and goexit0 (compiled: C) do the field work on the
    # goroutine: they return before the goroutine's function runs or after it
    # has ended, so they are never on the C stack of a parked goroutine.
    g, fn, n, a0, a1, a2 = s.gostart()
    # fn(*args) would make CPython start a second C-level evaluation loop (336
    # bytes of C stack, kept by every parked goroutine); a call with a fixed
    # number of arguments runs the Python function inside this one. One
    # argument first: go(handle, conn) is the common case.
    r = None
    try:
        if n == 1:
            r = fn(a0)
        elif n == 2:
            r = fn(a0, a1)
        elif n == 0:
            r = fn()
        elif n == 3:
            r = fn(a0, a1, a2)
        else:
            r = fn(*a0, **a1)
    except GoroutineExit:
        pass
    except (KeyboardInterrupt, SystemExit) as e:
        # Like a Go panic, these end the program, whichever goroutine they hit.
        g._exc = e
        s.fatal(e)
    except BaseException as e:
        g._exc = e
        s.report_uncaught(g, e)
    finally:
        s.goexit0(g, r)
