"""``select.poll`` runtime-aware, and the wait on many descriptors ``select``/``poll`` share.

:class:`_Poll` is what ``select.poll()`` returns under ``gonet.patch()`` (see
:mod:`.waiting` for the whole family). Compiled (polling.pxd): redis-py
makes one per command (``can_read``: ``select.poll()``, ``register``,
``poll(0)``), so building it and asking it are C calls in the compiled build.
"""

from __future__ import annotations

import math
import select
from typing import Any

from .._poll.rawconn import WAIT_OK, wait_fd
from .._runtime.proc import sleep as _gonet_sleep
from ._g import current_g

__all__ = ["poll", "wait_events"]

_orig_poll = select.poll


def _fd(obj: Any) -> int:
    if isinstance(obj, int):
        return obj
    return int(obj.fileno())


def wait_events(fds: dict[int, int], timeout: float | None) -> bool:
    """wait_events parks until one of ``fds`` (fd → epoll mask) may be ready; False on timeout.

    Level-triggered registrations in a temporary epoll, whose own descriptor
    the netpoller watches (see the module docstring).
    """
    g = current_g()
    assert g is not None
    rt: Any = g.sched
    deadline = None if timeout is None else rt.clock.now() + timeout
    with select.epoll() as ep:
        for fd, mask in fds.items():
            try:
                ep.register(fd, mask)
            except PermissionError:
                return True  # a regular file: always ready (the zero-timeout call says so)
        return wait_fd(ep.fileno(), False, deadline) == WAIT_OK



class _Poll:
    """A ``select.poll`` object whose ``poll()`` parks a goroutine (the original otherwise)."""

    __slots__ = ("_fds", "_inner")

    def __init__(self) -> None:
        self._inner = _orig_poll()
        self._fds: dict[int, int] = {}

    def register(self, fd: Any, eventmask: int = select.POLLIN | select.POLLPRI | select.POLLOUT) -> None:
        """register adds ``fd`` (an int or an object with ``fileno()``)."""
        self._inner.register(fd, eventmask)  # validates fd first, as the C call does
        self._fds[fd if isinstance(fd, int) else int(fd.fileno())] = eventmask  # _fd(), inlined

    def modify(self, fd: Any, eventmask: int) -> None:
        """modify changes the events of a registered ``fd``."""
        self._inner.modify(fd, eventmask)
        self._fds[_fd(fd)] = eventmask

    def unregister(self, fd: Any) -> None:
        """unregister removes ``fd``."""
        self._inner.unregister(fd)
        self._fds.pop(_fd(fd), None)

    def poll(self, timeout: float | None = None) -> list[tuple[int, int]]:
        """poll waits up to ``timeout`` milliseconds (None or negative: forever)."""
        # The common "is it readable now?" first, always with the syscall. The
        # netpoller cannot answer it: a short read (``rdrained``) proves the
        # receive queue was empty *then*, and no READY latched proves nothing
        # arrived before the last epoll_wait — data or a FIN may have come
        # since, queued on the epoll ready list where only a syscall sees it.
        if timeout == 0 or current_g() is None:
            return self._inner.poll(timeout)
        res = self._inner.poll(0)
        if res:
            return res
        if timeout is not None:
            ms = float(timeout)  # the C call accepts any number of milliseconds
            t = None if ms < 0 else math.ceil(ms) / 1000.0
        else:
            t = None
        if t == 0:
            return res
        if not self._fds:
            _gonet_sleep(t if t is not None else 1e9)
            return []
        # POLL* and EPOLL* share their bit values on Linux.
        masks = {fd: m & (select.EPOLLIN | select.EPOLLOUT | select.EPOLLPRI)
                 for fd, m in self._fds.items()}
        rt: Any = current_g().sched  # type: ignore[union-attr]
        deadline = None if t is None else rt.clock.now() + t
        while True:
            left = None if deadline is None else max(deadline - rt.clock.now(), 0.0)
            ready = wait_events(masks, left)
            res = self._inner.poll(0)
            if res or not ready:
                return res


#: poll is ``select.poll()``: its ``poll()`` method parks a goroutine. The class itself,
#: so that ``select.poll()`` (redis-py makes one per readiness check) is one call.
poll = _Poll
