"""Goroutine states (Go's ``_Gidle``, ``_Grunnable``, ... in ``runtime/runtime2.go``), defined once.

A leaf module, plain Python in both builds. Every module that tests or sets
``Goroutine.status`` takes these names from here; a compiled module declares
them as C ints in its ``.pxd`` (``cdef int WAITING``, no value), so the
assignment from this module at import time is the only place a value is
written, and the compiled comparisons stay C comparisons.

::

    IDLE --go()--> RUNNABLE --execute--> RUNNING --returns/raises--> DEAD
                      ^                     |
                      +------goready----- WAITING  (gopark, with a wait reason)
"""

from __future__ import annotations

__all__ = ["DEAD", "IDLE", "RUNNABLE", "RUNNING", "STATUS_NAMES", "WAITING"]

IDLE = 0
RUNNABLE = 1
RUNNING = 2
WAITING = 3
DEAD = 4

#: The state names of a goroutine dump (Go's ``gStatusStrings``).
STATUS_NAMES = {IDLE: "idle", RUNNABLE: "runnable", RUNNING: "running", WAITING: "waiting",
                DEAD: "dead"}
