"""errors: the one exception of the sans-IO layer."""

from __future__ import annotations

__all__ = ["ProtocolError"]


class ProtocolError(Exception):
    """ProtocolError is a request the server must refuse, with the status to answer.

    ``status`` is the HTTP status code (400, 408, 413, 414, 417, 431, 501,
    505); ``reason`` is a short text for the log and the response body.
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.status}: {self.reason}"
