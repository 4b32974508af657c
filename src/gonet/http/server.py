"""server: the HTTP/1.1 server, a goroutine per connection (Go's ``net/http/server.go``).

:class:`Server` accepts on one or more listeners and runs each connection's
:class:`ServerConn` loop in its own goroutine: read a request head, call
the handler, finish the response, repeat while the connection is kept
alive. Requests of a pipelining client are answered in order because one
goroutine serves them one after the other from the same input buffer.

Every limit is a connection deadline, so a slow or silent client costs one
parked goroutine and nothing else:

* ``read_header_timeout`` — from the connection's start (or a request's
  first byte) to the end of its head; past it: 408 and close.
* ``idle_timeout`` — between keep-alive requests; past it the connection
  is closed silently (as Go). Re-armed lazily: a busy connection resets the
  deadline at most every quarter of the timeout, so an idle connection is
  closed between ``idle_timeout`` and 1.25 x ``idle_timeout``.
* ``read_timeout`` — the longest one body read may wait for data; past it: 408.
* ``write_timeout`` — the longest a write may wait for the client to take
  data (same lazy re-arming, so between 1 and 1.25 x the timeout); past it
  the connection is dropped. A streaming response can run for any time as
  long as the client keeps reading.

``max_conns``: the accept loop stops accepting while that many connections
are open (Go's ``netutil.LimitListener``); new clients wait in the kernel's
backlog instead of getting a 503, which keeps a busy server from spending
work on refusals and lets clients through in order as slots free up.

After an error response (400, 408, 413 ...) the connection is closed only
once the response is out: shut down the write side, read and drop what the
client still sends for up to ``conn.LINGER`` seconds (until its EOF), then close —
Go's ``closeWriteAndWait``, so the client reads the answer, not a reset.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Iterable
from typing import Any, TextIO

import gonet

from ._h1 import DateCache
from .conn import ACTIVE, IDLE, NEW, ServerConn
from .request import Request
from .response import ResponseWriter

__all__ = ["Handler", "Server"]

Handler = Callable[[ResponseWriter, Request], Any]

log = logging.getLogger("gonet.http")

#: Accept back-off on EMFILE/ENFILE (Go's net/http Serve: 5 ms doubling to 1 s).
BACKOFF_MIN = 0.005
BACKOFF_MAX = 1.0

#: NEW_CONN_GRACE: how old a connection that has sent nothing must be before
#: shutdown closes it as idle (Go's ``closeIdleConns``: 5 s).
NEW_CONN_GRACE = 5.0
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

_monotonic = gonet.monotonic


class Server:
    """Server serves HTTP/1.1 with a goroutine per connection (Go's ``http.Server``).

    ``handler(w, r)`` is called for every request with a
    :class:`~gonet.http.ResponseWriter` and a :class:`~gonet.http.Request`.
    See the module docstring and ``docs/http.md`` for the limits and
    timeouts; ``None`` turns a timeout or limit off.
    """

    def __init__(self, handler: Handler, *, read_header_timeout: float | None = 10.0,
                 read_timeout: float | None = 60.0, write_timeout: float | None = 60.0,
                 idle_timeout: float | None = 60.0, max_request_line: int = 8192,
                 max_header_bytes: int = 65536, max_header_fields: int = 100,
                 max_body_bytes: int | None = 1 << 30, max_conns: int | None = None,
                 forwarded_allow_ips: Iterable[str] | str | None = ("127.0.0.1",),
                 access_log: Callable[[dict[str, Any]], Any] | TextIO | None = None,
                 error_log: logging.Logger | None = None, server_name: str | None = "gonet") -> None:
        for name, t in (("read_header_timeout", read_header_timeout), ("read_timeout", read_timeout),
                        ("write_timeout", write_timeout), ("idle_timeout", idle_timeout)):
            if t is not None and not t > 0:
                raise ValueError(f"{name} must be > 0 or None, not {t!r}")
        for name, n in (("max_request_line", max_request_line), ("max_header_bytes", max_header_bytes),
                        ("max_header_fields", max_header_fields)):
            if type(n) is not int or n <= 0:
                raise ValueError(f"{name} must be a positive int, not {n!r}")
        if max_body_bytes is not None and (type(max_body_bytes) is not int or max_body_bytes < 0):
            raise ValueError(f"max_body_bytes must be an int >= 0 or None, not {max_body_bytes!r}")
        if max_conns is not None and (type(max_conns) is not int or max_conns <= 0):
            raise ValueError(f"max_conns must be a positive int or None, not {max_conns!r}")
        self.handler = handler
        self.read_header_timeout = read_header_timeout
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout
        self.idle_timeout = idle_timeout
        self.max_request_line = max_request_line
        self.max_header_bytes = max_header_bytes
        self.max_header_fields = max_header_fields
        self.max_body_bytes = max_body_bytes
        self.max_conns = max_conns
        self.error_log = error_log if error_log is not None else log
        self.server_line = f"Server: {server_name}\r\n" if server_name else ""
        self.date = DateCache()
        #: _requests_closed: the requests answered on connections already closed.
        self._requests_closed = 0
        self._shutting_down = False
        self.closed = False
        self._listeners: set[gonet.Listener] = set()
        self._conns: set[ServerConn] = set()
        self._slots: gonet.Chan[None] | None = None
        self.access_log = self._access_logger(access_log)
        self.trust_forwarded = _forwarded_policy(forwarded_allow_ips)

    # --- serving -------------------------------------------------------------------------

    def serve(self, ln: gonet.Listener) -> None:
        """serve accepts connections on ``ln`` until shutdown/close, each served by its own goroutine.

        Blocks the calling goroutine. On ``EMFILE``/``ENFILE`` it backs off
        (5 ms doubling to 1 s) instead of spinning. With ``max_conns`` it
        stops accepting while that many connections are open. Returns once
        the listener is closed (by :meth:`shutdown`, :meth:`close` or the caller).
        """
        if self.shutting_down or self.closed:
            ln.close()
            return
        self._listeners.add(ln)
        if self.max_conns is not None and self._slots is None:
            self._slots = gonet.Chan(self.max_conns)
        slots = self._slots
        delay = 0.0
        try:
            while True:
                if slots is not None:
                    slots.send(None)  # parks while max_conns connections are open
                try:
                    conn = ln.accept()
                except gonet.ClosedError:
                    if slots is not None:
                        slots.recv()  # give back the slot taken for this accept
                    return
                except OSError as e:
                    if slots is not None:
                        slots.recv()
                    if e.errno in _RESOURCE_ERRNOS:
                        delay = BACKOFF_MIN if delay == 0.0 else min(delay * 2, BACKOFF_MAX)
                        self.error_log.warning("http: accept error: %s; retrying in %.0f ms",
                                               e, delay * 1000)
                        gonet.sleep(delay)
                        continue
                    if self.shutting_down or self.closed:
                        return
                    raise
                delay = 0.0
                sc = ServerConn(self, conn)
                self._conns.add(sc)  # before its goroutine starts: shutdown() must see it
                gonet.go(self._serve_conn, sc)
        finally:
            self._listeners.discard(ln)

    def listen_and_serve(self, address: str) -> None:
        """listen_and_serve listens on TCP ``address`` (Go syntax, ``":8000"``) and serves on it."""
        self.serve(gonet.listen("tcp", address))

    def _serve_conn(self, sc: ServerConn) -> None:
        conn = sc.conn
        try:
            if self.closed:
                return
            sc.serve()  # during a shutdown: answers a request already sent, Connection: close
        except Exception:
            self.error_log.exception("http: connection from %s failed", sc.remote)
        finally:
            self._conns.discard(sc)
            self._requests_closed += sc.requests
            conn.close()
            slots = self._slots
            if slots is not None:
                slots.recv()

    @property
    def shutting_down(self) -> bool:
        """shutting_down tells whether :meth:`shutdown` or :meth:`close` has begun."""
        return self._shutting_down

    @shutting_down.setter
    def shutting_down(self, value: bool) -> None:
        # Each connection reads its own copy per request (a C field, compiled): set them all.
        self._shutting_down = value
        for sc in self._conns:
            sc.shutting_down = value

    @property
    def requests(self) -> int:
        """requests is how many requests the server has answered (each connection counts its own)."""
        # (a tuple first: other threads may read this while the server's thread changes the set)
        return self._requests_closed + sum([sc.requests for sc in tuple(self._conns)])

    # --- stopping ------------------------------------------------------------------------

    def shutdown(self, timeout: float | None = None) -> bool:
        """shutdown stops the server gracefully (Go's ``Server.Shutdown``).

        Closes the listeners (no new connections), closes idle keep-alive
        connections (and, as Go, connections that have sent nothing 5 s after
        being accepted: a younger one's request may be on its way), and
        waits for connections with a request in progress to finish their
        response (each is closed after it, with ``Connection: close``). Returns True once all are gone; after
        ``timeout`` seconds it gives up, calls :meth:`close` and returns False.
        """
        self.shutting_down = True
        for ln in list(self._listeners):
            ln.close()
        deadline = None if timeout is None else _monotonic() + timeout
        interval = 0.001
        while True:
            # Go's closeIdleConns: a connection that has not sent its first byte yet
            # counts as idle only once it is NEW_CONN_GRACE old (Go issue 22682): its
            # request may be on its way, and closing would reset it.
            new_before = _monotonic() - NEW_CONN_GRACE
            for sc in list(self._conns):
                st = sc.state
                if st == IDLE or (st == NEW and sc.started <= new_before):
                    sc.conn.close()
            if not self._conns:
                return True
            if deadline is not None and _monotonic() >= deadline:
                self.close()
                return False
            wait = interval if deadline is None else min(interval, max(0.0, deadline - _monotonic()))
            gonet.sleep(wait)
            interval = min(interval * 2, 0.1)

    def close(self) -> None:
        """close closes the listeners and every connection now (Go's ``Server.Close``)."""
        self.closed = True
        self.shutting_down = True
        for ln in list(self._listeners):
            ln.close()
        for sc in list(self._conns):
            sc.conn.close()

    def stats(self) -> dict[str, int]:
        """stats returns ``conns`` (open), ``active`` (a request in progress), ``idle``, ``requests``."""
        active = sum(1 for sc in self._conns if sc.state == ACTIVE)
        return {"conns": len(self._conns), "active": active, "idle": len(self._conns) - active,
                "requests": self.requests}

    # --- logging -------------------------------------------------------------------------

    def _access_logger(self, access_log: Any) -> Callable[[dict[str, Any]], Any] | None:
        if access_log is None or callable(access_log):
            fn: Callable[[dict[str, Any]], Any] | None = access_log
            return fn
        out = access_log

        def write_line(rec: dict[str, Any]) -> None:
            out.write(f'{rec["remote"]} - - "{rec["method"]} {rec["target"]} {rec["proto"]}" '
                      f'{rec["status"]} {rec["bytes"]} "{rec["referer"]}" "{rec["user_agent"]}" '
                      f'{rec["duration"]:.6f}\n')

        return write_line

    def log_access(self, req: Request, w: ResponseWriter, duration: float) -> None:
        """log_access hands one access record to ``access_log``."""
        assert self.access_log is not None
        try:
            self.access_log({
                "remote": req.remote_addr.host if req.remote_addr is not None else "-",
                "method": req.method, "target": req.target, "proto": req.proto,
                "status": w.status or 200, "bytes": w.written, "duration": duration,
                "user_agent": req.headers.get("user-agent", "-"),
                "referer": req.headers.get("referer", "-"),
            })
        except Exception:
            self.error_log.exception("http: access log failed")


def _forwarded_policy(allow: Iterable[str] | str | None) -> Callable[[Request], None] | None:
    """Return a function applying X-Forwarded-For/-Proto to a request (None: trust no one).

    The function has a ``trusts(addr)`` attribute: the connection asks it once
    whether its peer is trusted, and calls the function only for those peers.
    """
    if allow is None:
        return None
    if isinstance(allow, str):
        allow = [a.strip() for a in allow.split(",") if a.strip()]
    trusted = frozenset(allow)
    if not trusted:
        return None
    trust_all = "*" in trusted

    def trusts(peer: gonet.Addr | None) -> bool:
        return peer is not None and (trust_all or peer.host in trusted)

    def apply(req: Request) -> None:
        peer = req.remote_addr
        index = req.headers._lookup()
        xff = index.get("x-forwarded-for")
        if xff is not None and peer is not None:
            hops = [h.strip() for h in xff.split(",") if h.strip()]
            client = None
            for hop in reversed(hops):  # the nearest untrusted hop is the client (uvicorn's rule)
                client = hop
                if not (trust_all or hop in trusted):
                    break
            if client:
                req.remote_addr = gonet.Addr(peer.network, client, 0)
        proto = index.get("x-forwarded-proto")
        if proto is not None:
            p = proto.rsplit(",", 1)[-1].strip().lower()
            if p in ("http", "https"):
                req.scheme = p

    apply.trusts = trusts  # type: ignore[attr-defined]
    return apply
