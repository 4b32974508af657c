"""The epoll backend of the netpoller (Go's ``runtime/netpoll_epoll.go``).

This module is a leaf: it imports only the standard library. Its contract,
which :mod:`gonet._runtime.netpoll` relies on:

* ``register(fd)`` once per descriptor, edge-triggered, for both directions;
  ``unregister(fd)`` once, *before* the descriptor is closed.
* ``poll(timeout)`` is one ``epoll_wait`` through Python's epoll object (the
  plain build): ``timeout`` seconds, 0 to poll, negative to block, capped at
  :data:`MAX_WAIT`; returns the events raw, ``[(fd, events), ...]``. The
  compiled netpoller calls ``epoll_wait`` on ``fileno()`` itself, with the
  same cap (and counts the waits itself, ``Netpoll.calls``).
* Events on the backend's own descriptors (``wakefd``, ``sigfd``) are handed
  back with ``own_event(fd)``, which consumes them.
* ``wake()`` makes a blocked (or the next) ``poll`` return. It is safe from
  any thread, idempotent while a wake-up is pending, and a no-op once the
  poller is closed.

Some facts about epoll that this design leans on
-------------------------------------------------
*Edge-triggered.* With ``EPOLLET`` the kernel reports a descriptor when its
state *changes* (new data queued, buffer space freed, peer hung up), not while
it stays readable. That lets us register every socket once, for reading and
writing at the same time (``EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET``), and never
call ``epoll_ctl`` again on the I/O path: no re-arming per operation as with
level-triggered or one-shot registration. The price is that an edge is
reported exactly once. If nobody is waiting when it arrives it must be
remembered (the pollDesc's READY state), and a reader must keep reading until
``EAGAIN`` (or a short read, which proves the queue was drained at that
moment) before it may wait for the next edge.

*Registration belongs to the open file description, not the number.* Closing
a descriptor drops it from the epoll set only when no other descriptor refers
to the same file (``dup``, ``fork``), so gonet always unregisters explicitly
before ``close(2)``; events of a closed descriptor can then never be reported
under the number a new socket reuses.

*HUP and ERR are always reported*, whether asked for or not, and they concern
both directions: the netpoller wakes the reader and the writer for them. A
socket that was never connected reports ``EPOLLHUP`` at once, which is why
``connect`` registers only after ``EINPROGRESS``.

*The wake-up descriptor* is an ``eventfd`` in the same epoll set: writing to it
from a worker thread (a finished ``blocking()`` call) or a signal handler makes
a blocked ``epoll_wait`` return, so the scheduler thread never needs a second
waiting mechanism. It is edge-triggered as well, so it is read (reset) every
time it fires.
"""

from __future__ import annotations

import _thread
import os
import platform
import select
import signal
import socket

__all__ = ["EVENTS", "EpollPoller"]

# The C RLock, bound at import: gonet.patch() makes threading.RLock hybrid (a
# goroutine would park in it), and the scheduler's own locks never park (blocking.py).
_RLock = _thread.RLock

EPOLLIN = select.EPOLLIN
EPOLLOUT = select.EPOLLOUT
EPOLLERR = select.EPOLLERR
EPOLLHUP = select.EPOLLHUP
EPOLLRDHUP = select.EPOLLRDHUP
EPOLLET = select.EPOLLET

#: What every descriptor is registered for, once (Go's netpollopen).
EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET

#: Events that wake a reader / a writer (Go's netpoll loop).
READ_EVENTS = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR
WRITE_EVENTS = EPOLLOUT | EPOLLHUP | EPOLLERR
#: Events after which reads return at once (EOF or an error) without another edge.
HUP_EVENTS = EPOLLRDHUP | EPOLLHUP | EPOLLERR

# Go reads up to 128 events per epoll_wait; a larger batch amortises the call
# better in Python, where each scheduler round is comparatively costly.
MAX_EVENTS = 512
#: sizeof(struct epoll_event): packed on x86-64 (12 bytes), 16 elsewhere.
EVENT_SIZE = 12 if platform.machine() in ("x86_64", "AMD64") else 16

#: Go's arbitrary cap on one wait for a timer: 1e9 ms, about 11.5 days
#: (epoll_wait takes an int of milliseconds).
MAX_WAIT = 1e6


class EpollPoller:
    """EpollPoller owns one epoll instance and its eventfd wake-up descriptor."""

    __slots__ = ("_ep", "_lock", "_old_wakeup", "_open", "_sigpair", "_wake_pending", "sigfd",
                 "wakefd")

    def __init__(self) -> None:
        self._ep = select.epoll()  # close-on-exec, as Go's epollcreate1(EPOLL_CLOEXEC)
        try:
            self.wakefd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        except BaseException:
            self._ep.close()
            raise
        self._ep.register(self.wakefd, EPOLLIN | EPOLLET)
        # Re-entrant: a Python signal handler may call wake() on the main thread
        # while that thread is inside wake() or _consume_wake() (see callq.py).
        self._lock = _RLock()
        self._open = True
        self._wake_pending = False
        #: The read end of the signal wake-up socket (-1: none; see install_signal_wakeup).
        self.sigfd = -1
        self._sigpair: tuple[socket.socket, socket.socket] | None = None
        self._old_wakeup = -1

    def fileno(self) -> int:
        """fileno is the epoll descriptor."""
        return self._ep.fileno()

    def register(self, fd: int) -> None:
        """register adds ``fd`` once, edge-triggered, for reading and writing."""
        self._ep.register(fd, EVENTS)

    def unregister(self, fd: int) -> None:
        """unregister removes ``fd``; call it before closing the descriptor."""
        self._ep.unregister(fd)

    def poll(self, timeout: float) -> list[tuple[int, int]]:
        """poll is one ``epoll_wait`` of up to ``timeout`` seconds (negative: forever).

        Events on ``wakefd``/``sigfd`` are among those returned (see :meth:`own_event`).
        """
        return self._ep.poll(-1 if timeout < 0 else min(timeout, MAX_WAIT), MAX_EVENTS)

    def own_event(self, fd: int) -> bool:
        """own_event consumes an event on the wake-up or signal descriptor; False for any other fd."""
        if fd == self.wakefd:
            self._consume_wake()
            return True
        if fd == self.sigfd and fd >= 0:
            self.drain_signals()
            return True
        return False

    def _consume_wake(self) -> None:
        # Read first, then clear the flag: a wake() that slips in between (a
        # signal handler on this thread) sees the flag still set and skips its
        # write, which is harmless because the scheduler looks at the posted
        # calls only after this poll. The other order could swallow that
        # write and leave the flag set with nothing to wake the next poll.
        with self._lock:
            try:
                os.eventfd_read(self.wakefd)
            except BlockingIOError:
                pass
            self._wake_pending = False

    def wake(self) -> None:
        """wake makes the current or next ``poll`` return (Go's netpollBreak)."""
        with self._lock:
            if not self._open or self._wake_pending:
                return
            self._wake_pending = True
            try:
                os.eventfd_write(self.wakefd, 1)
            except BlockingIOError:  # counter saturated: a wake-up is pending anyway
                pass

    # --- signals: Python's wake-up fd (signal.set_wakeup_fd), as asyncio does -------------

    def install_signal_wakeup(self) -> None:
        """install_signal_wakeup makes a signal interrupt a blocked ``poll`` (main thread only).

        CPython's C-level signal handler writes the signal number to the
        wake-up fd the moment a signal arrives; the Python handler runs later,
        between two bytecodes. Without this, ``epoll_wait`` interrupted by the
        signal is simply retried after the handler ran (PEP 475), so whatever
        the handler made runnable waits for the next unrelated event. With the
        fd in the epoll set, the retried wait returns at once.
        """
        if self._sigpair is not None:
            return
        r, w = socket.socketpair()
        r.setblocking(False)
        w.setblocking(False)
        try:
            self._old_wakeup = signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
            self._ep.register(r.fileno(), EPOLLIN | EPOLLET)
        except BaseException:
            r.close()
            w.close()
            raise
        self._sigpair = (r, w)
        self.sigfd = r.fileno()

    def restore_signal_wakeup(self) -> None:
        """restore_signal_wakeup puts back the previous wake-up fd and closes the socket pair."""
        pair = self._sigpair
        if pair is None:
            return
        self._sigpair = None
        self.sigfd = -1
        try:
            signal.set_wakeup_fd(self._old_wakeup)
        except (ValueError, OSError):
            signal.set_wakeup_fd(-1)
        try:
            self._ep.unregister(pair[0].fileno())
        except (OSError, ValueError):
            pass
        pair[0].close()
        pair[1].close()

    def drain_signals(self) -> None:
        """drain_signals empties the signal wake-up socket (its bytes are signal numbers)."""
        pair = self._sigpair
        if pair is None:
            return
        try:
            while pair[0].recv(4096):
                pass
        except OSError:  # BlockingIOError: drained
            pass

    def abandon(self) -> None:
        """abandon closes every descriptor of this poller without touching signal state (fork child)."""
        self._open = False
        pair = self._sigpair
        self._sigpair = None
        self.sigfd = -1
        if pair is not None:
            pair[0].close()
            pair[1].close()
        try:
            os.close(self.wakefd)
        except OSError:
            pass
        self._ep.close()

    def close(self) -> None:
        """close releases the epoll and eventfd descriptors; later ``wake()`` calls do nothing."""
        self.restore_signal_wakeup()
        with self._lock:
            if not self._open:
                return
            self._open = False
            os.close(self.wakefd)
            self._ep.close()
