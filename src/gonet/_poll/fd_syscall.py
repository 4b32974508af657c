"""Plain-Python versions of poll.FD's syscall helpers (the compiled build inlines fd_unix.pxd's).

The compiled build calls ``recv(2)``/``send(2)`` on the raw descriptor from
C helpers declared in ``fd_unix.pxd``; plain Python uses these instead. Each
does one syscall through the socket object, reports ``EAGAIN`` as a return
value (``None`` / ``-1``) rather than an exception, and retries ``EINTR``.
The compiled build uses them only for reads larger than the scratch buffer.
Both kinds honour the fault seam of ``gonet.testing.socktest``: these through
the wrapped socket's ``recv``/``send``, the C helpers through its ``inject``;
``tests/test_fault_seam.py`` and ``tests/test_faults.py`` check that the two
behave the same.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._types import Buffer
    from .fd_unix import FD

__all__ = ["recv_bytes", "recv_into_buf", "send_buf"]

MSG_NOSIGNAL = socket.MSG_NOSIGNAL


def recv_bytes(fd: FD, n: int, scratch: bytearray) -> bytes | None:
    """recv_bytes reads up to ``n`` bytes (``b""`` at EOF), or None if it would block."""
    while True:
        try:
            return fd.sock.recv(n)  # type: ignore[no-any-return]
        except BlockingIOError:
            return None
        except InterruptedError:
            pass
        except OSError as e:
            raise fd.error("read", e) from e


def recv_into_buf(fd: FD, mv: memoryview) -> int:
    """recv_into_buf reads into ``mv``; the byte count, or -1 if it would block."""
    while True:
        try:
            return fd.sock.recv_into(mv)  # type: ignore[no-any-return]
        except BlockingIOError:
            return -1
        except InterruptedError:
            pass
        except OSError as e:
            raise fd.error("read", e) from e


def send_buf(fd: FD, data: Buffer, start: int, end: int) -> int:
    """send_buf sends ``data[start:end]``: the byte count, or -1 if it would block.

    A failure raises the owner's error with ``written`` = ``start`` (what the
    write had written before this call), as the read helpers raise theirs.
    """
    while True:
        try:
            if start == 0 and end == len(data):
                return fd.sock.send(data, MSG_NOSIGNAL)  # type: ignore[no-any-return]
            return fd.sock.send(memoryview(data)[start:end], MSG_NOSIGNAL)  # type: ignore[no-any-return]
        except BlockingIOError:
            return -1
        except InterruptedError:
            pass
        except OSError as e:
            raise fd.error("write", e, start) from e
