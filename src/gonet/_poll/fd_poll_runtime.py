"""The bridge from poll.FD to the runtime's pollDesc (Go's ``internal/poll/fd_poll_runtime.go``).

Go calls into the runtime through ``runtime_pollOpen``, ``runtime_pollWait``
and friends, and turns their integer results into errors here
(``convertErr``). gonet's FD calls :class:`gonet._runtime.netpoll.Netpoll`
directly on the hot path (one bound method, no extra frame) and uses
:func:`convert_err` for the result.
"""

from __future__ import annotations

from .._runtime.errors import throw
from .._runtime.netpoll import POLL_ERR_CLOSING, POLL_ERR_TIMEOUT, POLL_NO_ERROR
from .fd import ClosedError, DeadlineExceededError, err_closing, err_timeout

__all__ = ["convert_err"]


def convert_err(res: int) -> ClosedError | DeadlineExceededError:
    """convert_err maps a pollDesc error code to the poll layer's error (Go's ``convertErr``)."""
    if res == POLL_ERR_CLOSING:
        return err_closing()
    if res == POLL_ERR_TIMEOUT:
        return err_timeout()
    if res == POLL_NO_ERROR:
        raise throw("unreachable: convert_err(POLL_NO_ERROR)")
    raise throw(f"unreachable: poll error code {res}")
