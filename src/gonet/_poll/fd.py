"""Errors of the poll layer (Go's ``internal/poll/fd.go``).

:class:`ClosedError` and :class:`DeadlineExceededError` are defined here, at
the lowest layer that raises them, and re-exported by ``gonet.net`` and
``gonet`` (Go does the same: ``net.ErrClosed`` *is* ``poll.ErrNetClosing``
and ``os.ErrDeadlineExceeded`` *is* ``poll.ErrDeadlineExceeded``). The poll
layer raises them with their bare messages; the net layer re-raises them
with Go's ``op net source->addr: err`` prefix and the bare one as ``__cause__``.

Every exception may carry ``written``: the bytes a ``write`` had already
written when it failed.
"""

from __future__ import annotations

__all__ = [
    "ERR_CLOSING",
    "ERR_TIMEOUT",
    "ClosedError",
    "DeadlineExceededError",
    "err_closing",
    "err_timeout",
]

ERR_CLOSING = "use of closed network connection"
ERR_TIMEOUT = "i/o timeout"


class ClosedError(OSError):
    """ClosedError: an operation on, or parked on, a closed conn, listener or packet conn.

    Go's ``net.ErrClosed``; its message contains ``use of closed network connection``.
    """

    written: int = 0

    def __init__(self, message: str = ERR_CLOSING) -> None:
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ERR_CLOSING


class DeadlineExceededError(TimeoutError):
    """DeadlineExceededError: a read, write, accept or dial deadline passed.

    Go's ``os.ErrDeadlineExceeded``; its message is (or ends with) ``i/o timeout``.
    """

    written: int = 0

    def __init__(self, message: str = ERR_TIMEOUT) -> None:
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ERR_TIMEOUT


def err_closing() -> ClosedError:
    """err_closing returns a new bare :class:`ClosedError` (Go's ``errClosing``)."""
    return ClosedError(ERR_CLOSING)


def err_timeout() -> DeadlineExceededError:
    """err_timeout returns a new bare :class:`DeadlineExceededError`."""
    return DeadlineExceededError(ERR_TIMEOUT)
