"""accesslog: the ``--access-log`` writer, Apache/nginx combined log format on stdout.

The Server calls the hook with a record per request (``remote``, ``method``,
``target``, ``proto``, ``status``, ``bytes``, ``duration``, ``user_agent``,
``referer``); :class:`AccessLog` formats it as nginx's ``combined``::

    127.0.0.1 - - [01/Dec/2026:22:31:05 +0000] "GET / HTTP/1.1" 200 13 "-" "curl/8.5.0"

Lines are buffered and written by a flusher goroutine every
:data:`FLUSH_INTERVAL` seconds (or by the request that makes :data:`FLUSH_LINES`),
through ``gonet.blocking`` so a slow reader of stdout parks the flusher, not
the runtime. Each ``write(2)`` holds whole lines and at most ``PIPE_BUF``
bytes, so the lines of several workers sharing one stdout pipe never
interleave mid-line. Bytes a client controls (target, referer, user agent)
are escaped as nginx does (``"``, ``\\`` and control bytes as ``\\xHH``), so a
request cannot forge a log line.
"""

from __future__ import annotations

import os
import time
from typing import Any

import gonet

__all__ = ["FLUSH_INTERVAL", "FLUSH_LINES", "AccessLog", "format_combined"]

#: FLUSH_INTERVAL is the longest a line waits in the buffer, in seconds.
FLUSH_INTERVAL = 0.2
#: FLUSH_LINES waiting lines wake the flusher early.
FLUSH_LINES = 512
_PIPE_BUF = 4096
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _escape(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    s = str(value)
    if s.isprintable() and '"' not in s and "\\" not in s:
        return s
    out = []
    for ch in s:
        o = ord(ch)
        out.append(f"\\x{o:02X}" if ch in '"\\' or o < 0x20 or 0x7F <= o < 0xA0 else ch)
    return "".join(out)


def _remote_host(remote: Any) -> str:
    host = getattr(remote, "host", None)
    if isinstance(host, str):
        return host
    if isinstance(remote, tuple) and remote:
        return str(remote[0])
    if isinstance(remote, str):
        # "1.2.3.4:5678", "[::1]:5678" or a bare host (an X-Forwarded-For value).
        if remote.startswith("["):
            return remote[1:].split("]", 1)[0]
        if remote.count(":") == 1:
            return remote.split(":", 1)[0]
        return remote
    return "-"


def _timestamp(t: float) -> str:
    lt = time.localtime(t)
    off = lt.tm_gmtoff or 0
    sign = "+" if off >= 0 else "-"
    off = abs(off) // 60
    return (f"{lt.tm_mday:02d}/{_MONTHS[lt.tm_mon - 1]}/{lt.tm_year}:"
            f"{lt.tm_hour:02d}:{lt.tm_min:02d}:{lt.tm_sec:02d} {sign}{off // 60:02d}{off % 60:02d}")


def format_combined(record: dict[str, Any], now: float | None = None) -> str:
    """format_combined renders one access-log record as a combined-format line (no newline).

    The timestamp is when the request started: ``now`` (default the wall
    clock) minus the record's ``duration``. Missing fields print as ``-``.
    """
    t = (time.time() if now is None else now) - float(record.get("duration") or 0.0)
    request = " ".join(_escape(record.get(k)) for k in ("method", "target", "proto"))
    size = record.get("bytes")
    return (f"{_remote_host(record.get('remote'))} - - [{_timestamp(t)}] \"{request}\" "
            f"{record.get('status', '-')} {size if size else '-'} "
            f"\"{_escape(record.get('referer'))}\" \"{_escape(record.get('user_agent'))}\"")


class AccessLog:
    """AccessLog is the Server's ``access_log`` hook writing combined-format lines to ``fd``.

    Call :meth:`run` in a goroutine (the flusher) and :meth:`close` at the end
    (writes what is left). Without a running flusher, :meth:`close` still
    writes everything.
    """

    def __init__(self, fd: int = 1) -> None:
        self.fd = fd
        self.lines: list[str] = []
        self._closed = False
        self._mu = gonet.Mutex()  # one write at a time: lines stay in order

    def __call__(self, record: dict[str, Any]) -> None:
        """__call__ queues the line for ``record``; a full buffer is written by this caller.

        Writing parks only the calling goroutine (back-pressure on the
        requests that fill the log faster than stdout drains).
        """
        self.lines.append(format_combined(record) + "\n")
        if len(self.lines) >= FLUSH_LINES:
            self.flush()

    def run(self) -> None:
        """run flushes the buffer every FLUSH_INTERVAL seconds until :meth:`close`."""
        while not self._closed:
            gonet.sleep(FLUSH_INTERVAL)
            self.flush()

    def flush(self) -> None:
        """flush writes the buffered lines (parking this goroutine, not the runtime)."""
        with self._mu:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self.lines:
            return
        lines, self.lines = self.lines, []
        chunks: list[bytes] = []
        cur = bytearray()
        for line in lines:
            b = line.encode("utf-8", "replace")
            if cur and len(cur) + len(b) > _PIPE_BUF:
                chunks.append(bytes(cur))
                cur.clear()
            cur += b
        if cur:
            chunks.append(bytes(cur))
        try:
            gonet.blocking(_write_chunks, self.fd, chunks)
        except OSError:
            pass  # stdout gone (the reader exited): the log is lost, serving goes on

    def close(self) -> None:
        """close stops the flusher and writes what is left."""
        self._closed = True
        self.flush()


def _write_chunks(fd: int, chunks: list[bytes]) -> None:
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            n = os.write(fd, view)
            view = view[n:]
