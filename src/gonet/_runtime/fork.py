"""fork: a child process abandons the runtimes it inherited (``os.register_at_fork``).

Go has no fork without exec (``syscall.ForkExec`` execs at once), so this is
gonet's own rule. After ``os.fork()`` — directly, or through
``multiprocessing``'s fork start method, even from inside a goroutine — the
child holds a copy of every runtime of the parent, and their epoll instance
is *shared* with the parent: an ``epoll_ctl`` in the child would change the
parent's registrations, and both would steal each other's events. So, in the
child, right after the fork:

* every inherited runtime is *abandoned*: its epoll, eventfd and signal
  wake-up descriptors are closed (closing never touches the parent's epoll
  set), nothing is unregistered, its call queue refuses posts, its
  ``signal.set_wakeup_fd`` and ``signal_notify`` handlers are undone;
* the thread-local "runtime of this thread" is cleared, so the child may call
  ``gonet.run()`` and build everything anew.

What a child may do with what it inherited: conns, listeners and packet
conns keep their descriptors (an inherited descriptor is the same socket as
the parent's; closing the child's copy does not close the parent's). Every
operation on the inherited *objects* raises ``RuntimeError`` (their runtime is
abandoned) except ``close()``, which closes the child's copy of the
descriptor. To use an inherited socket in the child, build a new gonet object
from its descriptor inside the child's own ``gonet.run()`` (``os.dup`` it
first if the parent object may be closed or garbage-collected). A goroutine of
the parent continues in the child only on the stack that called ``fork()``:
end the child with ``os._exit()`` (``multiprocessing`` does), never by
returning into the abandoned runtime's scheduler.
"""

from __future__ import annotations

import _thread
import os
import signal
from typing import TYPE_CHECKING

from .g import _tls

# The C RLock, bound at import: gonet.patch() makes threading.RLock hybrid (a
# goroutine would park in it), and the scheduler's own locks never park (blocking.py).
_RLock = _thread.RLock

if TYPE_CHECKING:
    from .proc import Runtime

__all__ = ["abandoned", "forget", "remember"]

#: The runtimes running in this process (any thread), by id().
_running: dict[int, Runtime] = {}
#: Runtimes abandoned by a fork, kept alive on purpose: collecting them would
#: throw GreenletExit into their goroutines' suspended stacks in the child.
abandoned: list[Runtime] = []


def remember(rt: Runtime) -> None:
    """remember records a runtime that has started running."""
    _running[id(rt)] = rt


def forget(rt: Runtime) -> int:
    """forget drops a runtime that has shut down; returns how many are still running."""
    _running.pop(id(rt), None)
    return len(_running)


def _after_fork_in_child() -> None:
    # Runs in the child only, on the thread that forked (the only one left).
    for rt in list(_running.values()):
        try:
            _abandon(rt)
        except Exception:  # the child must get a clean slate whatever happens
            pass
    _running.clear()
    _tls.sched = None
    from .rlimit import restore_in_child
    from .signals import reset_after_fork

    reset_after_fork()
    restore_in_child()  # exec'd programs get the original descriptor limit (rlimit.py)


def _abandon(rt: Runtime) -> None:
    rt.abandoned = True
    rt.name += " (abandoned in a forked child)"
    rt.thread_id = -1  # no thread is its own any more: every operation refuses
    calls = rt.calls
    # Locks may have been held by threads of the parent that do not exist here.
    calls._lock = _RLock()
    calls._open = False
    calls.items.clear()
    backend = rt.netpoll.backend
    backend._lock = _RLock()
    if backend.sigfd >= 0:
        try:
            signal.set_wakeup_fd(backend._old_wakeup)
        except (ValueError, OSError):
            pass
    rt.netpoll.sigfd = -1
    backend.abandon()
    abandoned.append(rt)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
