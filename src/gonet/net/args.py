"""Argument checks shared by Conn and PacketConn, identical in both builds.

The compiled build converts arguments at C level (a ``Py_ssize_t`` size, a
buffer acquired for writing) and would otherwise report bad ones with other
exceptions than plain Python does (``OverflowError``, ``BufferError``) — or
not at all (a negative size). So the public methods check their arguments
here first, in plain Python, with Python's conventions: ``TypeError`` for the
wrong kind of object (a read-only buffer included, as ``socket.recv_into``
does), ``ValueError`` for a value out of range. Every message names the
method and the argument. The hot paths call these only when the fast type
test fails (``type(n) is int`` and in range, ``bytes``/``bytearray``).
"""

from __future__ import annotations

import operator
from typing import Any

from .._poll.fd_unix import MAX_RW

__all__ = ["check_readable", "check_size", "check_writable"]


def check_size(op: str, n: Any) -> int:
    """check_size validates a read size: an int >= 0; sizes above 1 GiB read at most 1 GiB (Go's maxRW)."""
    try:
        size = operator.index(n)
    except TypeError:
        raise TypeError(f"{op}: n must be an int, not {type(n).__name__}") from None
    if size < 0:
        raise ValueError(f"{op}: n must not be negative, not {size}")
    return min(size, MAX_RW)


def check_writable(op: str, buffer: Any) -> memoryview:
    """check_writable returns a memoryview of ``buffer``, which must be writable and C-contiguous."""
    try:
        mv = memoryview(buffer)
    except TypeError:
        raise TypeError(f"{op}: buffer must be a writable bytes-like object, "
                        f"not {type(buffer).__name__}") from None
    if mv.readonly:
        raise TypeError(f"{op}: buffer must be a writable bytes-like object, not a read-only "
                        f"{type(buffer).__name__}")
    if not mv.c_contiguous:
        raise TypeError(f"{op}: buffer must be C-contiguous")
    return mv


def check_readable(op: str, data: Any) -> memoryview:
    """check_readable returns a byte-wise memoryview of ``data``, which must be a C-contiguous buffer."""
    try:
        mv = memoryview(data)
    except TypeError:
        raise TypeError(f"{op}: data must be a bytes-like object, not {type(data).__name__}") from None
    if not mv.c_contiguous:
        raise TypeError(f"{op}: data must be C-contiguous")
    return mv.cast("B") if mv.format != "B" or mv.ndim != 1 else mv
