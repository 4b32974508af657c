"""Type aliases shared by the layers (a leaf: standard library only)."""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["Buffer", "WritableBuffer"]

#: Bytes-like objects ``write`` accepts (``collections.abc.Buffer`` is 3.12+).
Buffer: TypeAlias = bytes | bytearray | memoryview
#: Writable bytes-like objects ``read_into`` fills.
WritableBuffer: TypeAlias = bytearray | memoryview
