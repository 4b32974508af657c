"""FD: a non-blocking descriptor with Go's I/O loops (Go's ``internal/poll/fd_unix.go``, go1.22).

Every operation follows the same loop, written out per operation as in Go::

    lock (fdMutex: one reader / one writer, plus a reference)
    prepare (an expired deadline fails at once, without touching data)
    loop:
        try the syscall
        EAGAIN  -> wait on the pollDesc (park; ClosedError / DeadlineExceededError) -> retry
        EINTR   -> retry
    unlock (the last reference of a closed FD destroys it)

One departure from Go, on reads of stream sockets only: a read that returned
fewer bytes than asked for proves the receive queue was empty at that moment,
so the *next* read parks first instead of probing with a syscall that would
fail with ``EAGAIN`` (in Python that probe costs an exception). It is safe
because of the READY latch: any data that arrived since the short read has
produced an edge, which either woke us or is latched in the pollDesc, so the
wait returns at once. The one thing that makes a read return at once
*without* a new edge is a hang-up or an error — the edge that announced it
may be the very one whose data we just read (data and FIN together) — so the
netpoller records HUP/RDHUP/ERR in the pollDesc (``hup``) and a read
never parks first once it is set. Nothing clears ``hup``: on a stream socket a
hang-up or an error is final (after a FIN every read is EOF at once; after a
reset one read raises and the later ones are EOF at once), so a read with
``hup`` set can always probe, and clearing it on EOF or an error would let the
read after a short read park for an edge that never comes.

Quirks kept from Go: ``accept`` retries ``ECONNABORTED`` silently (the peer
gave up before we accepted); a zero-byte read on a stream returns at once;
writes are split in chunks of at most 1 GiB (``maxRW``) and loop until every
byte is written.

Close: ``incref_and_close`` marks the FD closed, the pollDesc is evicted
(parked readers and writers wake with ``ClosedError``), and the descriptor is
destroyed — removed from epoll, then ``close(2)`` — when the last in-flight
operation drops its reference. ``close()`` waits for that (Go's ``csema``),
so when it returns the descriptor is really closed and its port free. A
close called from the scheduler (a timer, shutdown) cannot park and returns
without waiting.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from .._runtime.g import getsched
from .._runtime.netpoll import Netpoll, PollDesc
from .._runtime.sema import Sema
from .._types import Buffer, WritableBuffer
from . import hook_unix
from .fd import err_closing
from .fd_mutex import FdMutex
from .fd_poll_runtime import convert_err
from .fd_thread import on_owner, wrong_thread
from .sock_cloexec import Acceptor

if TYPE_CHECKING:
    from .._runtime.proc import Runtime

__all__ = ["FD", "MAX_RW"]

#: Go's maxRW: the largest single read or write of a stream (1 GiB).
MAX_RW = 1 << 30

#: Writes never raise SIGPIPE: a process whose SIGPIPE is at SIG_DFL would die
#: writing to a closed peer. Go ignores SIGPIPE on sockets; we ask the kernel
#: for EPIPE instead, per call.
MSG_NOSIGNAL = socket.MSG_NOSIGNAL

#: The compiled build's reads land here first (then one exact-size bytes copy):
#: one buffer per process, safe because the GIL is held from recv to the copy.
SCRATCH_SIZE = 65536  # recv_bytes serves reads up to this size
SCRATCH = bytearray(SCRATCH_SIZE)

# Compiled, C globals declared in fd_unix.pxd (compared without boxing; the
# buffer read without a module-dictionary lookup per read), assigned here.
_MAX_RW: int = MAX_RW
_SCRATCH_SIZE: int = SCRATCH_SIZE
_SCRATCH: bytearray = SCRATCH

try:
    import cython
except ImportError:  # plain Python without Cython installed
    from .._runtime import _cython as cython

if not cython.compiled:
    # Plain-Python twins of the C helpers inlined from fd_unix.pxd.
    from .._runtime.g import current_glet, greenlet_import, thread_ident
    from .._runtime.netpoll_twins import prepare, wait_io
    from .fd_mutex import rwlock_fast, rwunlock_fast
    from .fd_syscall import recv_bytes, recv_into_buf, send_buf

# The plain-Python helpers serve every socket in the plain build and, in the
# compiled one, reads larger than the scratch buffer. Sockets wrapped by
# gonet.testing.socktest (``raw`` False) take the same helpers as any other:
# compiled, the C helpers consult the wrapper's ``inject`` before each syscall.
from . import fd_syscall as _py  # noqa: E402

greenlet_import()  # each compiled module needs its own copy of the C API table


class FD:
    """FD is one socket in non-blocking mode, registered once with the netpoller."""

    __slots__ = (
        "__weakref__",
        "_acceptor",
        "csema",
        "fdmu",
        "is_stream",
        "np",
        "owner",
        "pd",
        "raw",
        "rdrained",
        "rt",
        "sock",
        "sysfd",
        "zero_read_is_eof",
    )

    def __init__(self, sock: socket.socket, is_stream: bool) -> None:
        rt: Runtime = getsched()  # type: ignore[assignment]
        self.rt = rt
        self.np: Netpoll = rt.netpoll
        wrap = hook_unix.wrap_socket
        self.sock: Any = sock
        # raw: the compiled build may call recv(2)/send(2) on the descriptor itself.
        self.raw = True
        if wrap is not None:  # fault injection (gonet.testing.socktest) only
            self.raw = False
            self.sock = wrap(sock)
            if hasattr(self.sock, "fd"):
                self.sock.fd = self
        self.sysfd = sock.fileno()
        self.is_stream = is_stream
        self.zero_read_is_eof = is_stream
        self.fdmu = FdMutex()
        self.csema: Sema | None = None  # created when close() must wait (rare)
        self.pd: PollDesc | None = None
        self.rdrained = False
        self._acceptor: Acceptor | None = None
        #: owner formats read/write errors for the layer above (the net layer's
        #: netFD: Go's messages); None reports the poll layer's bare errors.
        self.owner: Any = None

    def __repr__(self) -> str:
        return f"<FD {self.sysfd} {self.fdmu!r}>"

    def init(self) -> None:
        """init registers the descriptor with the netpoller, once (Go's ``FD.Init``)."""
        self.pd = self.np.open(self.sysfd, self)

    def error(self, op: str, err: BaseException, written: int | None = None) -> BaseException:
        """error is ``err`` of a read or write as the owner reports it (Go's message).

        ``written`` is recorded on write errors. The hot methods raise through
        here, so the layer above needs no try/except frame of its own around
        them (a parked goroutine's C stack is kept per connection). The owner
        (the net layer's netFD) formats it in its one route, ``error(op, err,
        syscall, written)``: ``op`` is also the system call's name (``read:
        connection reset by peer``).
        """
        owner = self.owner
        if owner is None:
            if written is not None:
                err.written = written  # type: ignore[attr-defined]
            return err
        return owner.error(op, err, op, written)  # type: ignore[no-any-return]

    # --- references ------------------------------------------------------------------

    def incref(self) -> None:
        """incref takes a reference for a non-I/O operation; ``ClosedError`` if closed.

        ``RuntimeError`` off the owning runtime's thread: the fdMutex and the
        pollDesc belong to that thread.
        """
        if thread_ident() != self.rt.thread_id:
            raise wrong_thread(self, "setsockopt/shutdown")
        if not self.fdmu.incref():
            raise err_closing()

    def decref(self) -> None:
        """decref drops a reference; the last one of a closed FD destroys it."""
        if self.fdmu.decref():
            self.destroy_quietly()

    def destroy_quietly(self) -> None:
        """destroy_quietly is destroy for the last in-flight operation: close(2)'s error is dropped.

        Go's readUnlock/writeUnlock ignore destroy's result; the operation reports
        its own outcome (ClosedError) and close() returns.
        """
        try:
            self.destroy()
        except OSError:
            pass

    def destroy(self) -> None:
        """destroy removes the fd from epoll, closes it and releases ``close()`` (Go's ``destroy``)."""
        if self.pd is not None:
            self.np.close(self.pd)
        try:
            hook_unix.close_func(self.sock)
        finally:
            self.sysfd = -1
            if self.csema is not None:
                self.csema.release(self.rt)

    def close(self) -> None:
        """close evicts parked operations and returns once the descriptor is closed.

        Raises ``ClosedError`` if the FD was already closed. Safe from any
        thread (the owning runtime does it: see fd_thread.py).
        """
        rt = self.rt
        if thread_ident() != rt.thread_id:
            on_owner(self, self.close)
            return
        if not self.fdmu.incref_and_close(rt):
            raise err_closing()
        if self.pd is not None:
            self.np.unblock(self.pd)  # wake parked readers/writers with ClosedError
        if self.fdmu.decref():
            self.destroy()
            return
        # In-flight operations still hold references: wait for the last one to
        # destroy the descriptor, if we are a goroutine that may park.
        g = rt.curg
        if g is not None and g.glet is current_glet():
            if self.csema is None:
                self.csema = Sema()
            self.csema.acquire(rt)

    def force_close(self) -> None:
        """force_close closes the descriptor regardless of references (runtime shutdown)."""
        if self.sysfd < 0:
            return
        self.fdmu.closed = True
        if self.pd is not None:
            self.np.evict(self.pd)
        try:
            hook_unix.close_func(self.sock)
        except OSError:
            pass
        self.sysfd = -1

    def shutdown(self, how: int) -> None:
        """shutdown half-closes the socket (``SHUT_RD``/``SHUT_WR``)."""
        self.incref()
        try:
            self.rdrained = False  # after SHUT_RD reads return EOF at once
            self.sock.shutdown(how)
        finally:
            self.decref()

    def set_deadline(self, t: float | None, read: bool, write: bool) -> None:
        """set_deadline sets the read and/or write deadline; ``ClosedError`` if closed.

        Safe from any thread (the owning runtime does it, so a parked
        goroutine sees the new deadline at once).
        """
        if thread_ident() != self.rt.thread_id:
            on_owner(self, self.set_deadline, t, read, write)
            return
        self.incref()
        try:
            if self.pd is not None:
                self.np.set_deadline(self.pd, t, read, write)
        finally:
            self.decref()

    # --- reads -----------------------------------------------------------------------

    def read(self, n: int) -> bytes:
        """read returns up to ``n`` bytes, parking until at least one is available.

        Returns ``b""`` at EOF (and at once for ``n == 0`` on a stream).
        """
        rt = self.rt
        if thread_ident() != rt.thread_id:
            raise wrong_thread(self, "read")
        fdmu = self.fdmu
        if not rwlock_fast(fdmu, True) and not fdmu.rwlock(rt, True):
            raise self.error("read", err_closing())
        try:
            if n == 0:  # Go: a zero-byte read returns at once, for every socket type
                return b""
            if n > _MAX_RW:
                n = _MAX_RW
            pd: Any = self.pd
            # Go's prepareRead; after a short read, it parks first (see the module docstring).
            res = prepare(self.np, pd, False, self.rdrained)
            if res:
                raise self.error("read", convert_err(res))
            self.rdrained = False
            while True:
                if n <= _SCRATCH_SIZE:
                    data = recv_bytes(self, n, _SCRATCH)
                else:
                    data = _py.recv_bytes(self, n, _SCRATCH)
                if data is None:  # EAGAIN
                    res = wait_io(self.np, pd, False)
                    if res:
                        raise self.error("read", convert_err(res))
                    continue
                if self.is_stream:
                    self.rdrained = 0 < len(data) < n
                return data
        finally:
            if not rwunlock_fast(fdmu, True) and fdmu.rwunlock(rt, True):
                self.destroy_quietly()

    def read_into(self, buf: WritableBuffer) -> int:
        """read_into reads into ``buf``; returns the byte count, 0 at EOF."""
        rt = self.rt
        if thread_ident() != rt.thread_id:
            raise wrong_thread(self, "read_into")
        fdmu = self.fdmu
        if not rwlock_fast(fdmu, True) and not fdmu.rwlock(rt, True):
            raise self.error("read", err_closing())
        try:
            mv = memoryview(buf)
            n = mv.nbytes
            if n == 0:  # Go: a zero-byte read returns at once, for every socket type
                return 0
            if n > _MAX_RW:
                mv = mv.cast("B")[:_MAX_RW]
                n = _MAX_RW
            pd: Any = self.pd
            res = prepare(self.np, pd, False, self.rdrained)
            if res:
                raise self.error("read", convert_err(res))
            self.rdrained = False
            while True:
                got = recv_into_buf(self, mv)
                if got < 0:  # EAGAIN
                    res = wait_io(self.np, pd, False)
                    if res:
                        raise self.error("read", convert_err(res))
                    continue
                if self.is_stream:
                    self.rdrained = 0 < got < n
                return got
        finally:
            if not rwunlock_fast(fdmu, True) and fdmu.rwunlock(rt, True):
                self.destroy_quietly()

    def recvfrom(self, n: int) -> tuple[bytes, Any]:
        """recvfrom returns one datagram (truncated to ``n`` bytes) and its sender's address."""
        rt = self.rt
        if thread_ident() != rt.thread_id:
            raise wrong_thread(self, "read_from")
        fdmu = self.fdmu
        if not rwlock_fast(fdmu, True) and not fdmu.rwlock(rt, True):
            raise err_closing()
        try:
            pd: Any = self.pd
            res = prepare(self.np, pd, False, False)
            if res:
                raise convert_err(res)
            sock = self.sock
            while True:
                try:
                    return sock.recvfrom(n)  # type: ignore[no-any-return]
                except BlockingIOError:
                    res = wait_io(self.np, pd, False)
                    if res:
                        raise convert_err(res) from None
                except InterruptedError:
                    pass
        finally:
            if not rwunlock_fast(fdmu, True) and fdmu.rwunlock(rt, True):
                self.destroy_quietly()

    def accept(self) -> tuple[int, Any]:
        """accept returns ``(fd, addr)`` of the next connection, non-blocking and close-on-exec.

        Parks while none is pending; ``ECONNABORTED`` and ``EINTR`` are retried.
        """
        rt = self.rt
        if thread_ident() != rt.thread_id:
            raise wrong_thread(self, "accept")
        fdmu = self.fdmu
        if not rwlock_fast(fdmu, True) and not fdmu.rwlock(rt, True):
            raise err_closing()
        try:
            pd: Any = self.pd
            res = prepare(self.np, pd, False, False)
            if res:
                raise convert_err(res)
            acceptor = self._acceptor
            if acceptor is None:
                acceptor = self._acceptor = Acceptor(self.sock.family)
            sock = self.sock
            while True:
                try:
                    return hook_unix.accept_func(acceptor, sock)
                except BlockingIOError:
                    res = wait_io(self.np, pd, False)
                    if res:
                        raise convert_err(res) from None
                except (InterruptedError, ConnectionAbortedError):
                    # ECONNABORTED: the peer reset before we accepted; Go retries.
                    pass
        finally:
            if not rwunlock_fast(fdmu, True) and fdmu.rwunlock(rt, True):
                self.destroy_quietly()

    # --- writes ----------------------------------------------------------------------

    def write(self, data: Buffer) -> int:
        """write writes all of ``data``, looping over partial writes and parking on ``EAGAIN``.

        Returns the byte count. Every exception it raises carries ``written``,
        the bytes already written.
        """
        rt = self.rt
        if thread_ident() != rt.thread_id:
            raise wrong_thread(self, "write")
        fdmu = self.fdmu
        if not rwlock_fast(fdmu, False) and not fdmu.rwlock(rt, False):
            raise self.error("write", err_closing(), 0)
        nn = 0
        try:
            pd: Any = self.pd
            res = prepare(self.np, pd, True, False)  # Go's prepareWrite
            if res:
                raise self.error("write", convert_err(res), 0)
            if type(data) is bytes:
                b = data  # compiled, a bytes-typed local: len() reads the object's size field
                total = len(b)
            else:
                if type(data) is not bytearray:
                    data = memoryview(data).cast("B")  # len() must count bytes, not items
                total = len(data)
            while True:
                end = total if total - nn <= _MAX_RW else nn + _MAX_RW
                n = send_buf(self, data, nn, end)
                if n < 0:
                    res = wait_io(self.np, pd, True)  # EAGAIN: the socket buffer is full
                    if res:
                        raise self.error("write", convert_err(res), nn)
                    continue
                nn += n
                if nn >= total:
                    return nn
        finally:
            if not rwunlock_fast(fdmu, False) and fdmu.rwunlock(rt, False):
                self.destroy_quietly()

    def sendto(self, data: Buffer, addr: Any) -> int:
        """sendto sends one datagram to ``addr``, parking while the socket buffer is full."""
        rt = self.rt
        if thread_ident() != rt.thread_id:
            raise wrong_thread(self, "write_to")
        fdmu = self.fdmu
        if not rwlock_fast(fdmu, False) and not fdmu.rwlock(rt, False):
            raise err_closing()
        try:
            pd: Any = self.pd
            res = prepare(self.np, pd, True, False)
            if res:
                raise convert_err(res)
            sock = self.sock
            while True:
                try:
                    return sock.sendto(data, MSG_NOSIGNAL, addr)  # type: ignore[no-any-return]
                except BlockingIOError:
                    res = wait_io(self.np, pd, True)
                    if res:
                        raise convert_err(res) from None
                except InterruptedError:
                    pass
        finally:
            if not rwunlock_fast(fdmu, False) and fdmu.rwunlock(rt, False):
                self.destroy_quietly()

    def wait_write(self) -> None:
        """wait_write parks until the fd is writable (connect's completion; Go's ``WaitWrite``)."""
        pd = self.pd
        assert pd is not None
        res = wait_io(self.np, pd, True)
        if res:
            raise convert_err(res)
