"""wsgi: the WSGI (PEP 3333) adapter, a native handler that calls a WSGI application.

:class:`WSGIHandler` builds the environ from the :class:`~gonet.http.Request`
(``wsgi.input`` is the request's streaming :class:`~gonet.http.request.Body`,
which never reads past the body), checks what the application passes to
``start_response`` (a wrong call raises :class:`WSGIError`, which the server
turns into a 500 with the traceback logged), and writes the result:

* a one-element list or tuple (the common case): head and body in one
  ``write``, ``Content-Length`` added if the app gave none;
* any other iterable: each non-empty block is sent as it comes (PEP 3333
  forbids holding a block back while the app computes the next one), chunked
  unless the app declared ``Content-Length``; the head leaves with the first
  non-empty block;
* ``wsgi.file_wrapper`` around a real file: ``os.sendfile`` on the socket.

The iterable's ``close()`` is always called, also when the client went away
or the app raised while iterating. ``Content-Length`` is respected: a body
longer than declared is cut at the declared length (and logged), a shorter
one closes the connection after it.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

import gonet

from .conn import ServerConn
from .request import Request
from .response import ResponseWriter
from .server import Server, log
from .status import STATUS_TEXT
from .wsgienv import Environ

__all__ = ["FileWrapper", "WSGIError", "WSGIHandler", "run_wsgi", "serve_wsgi"]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_STATUS_RE = re.compile(r"([1-9][0-9][0-9]) ([\t\x20-\x7e\x80-\xff]*)")
_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#: Hop-by-hop headers an application must not set (PEP 3333, "Other HTTP Features").
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade"})

try:
    import cython
except ImportError:  # plain Python without Cython installed (Cython is a build dependency)
    from ._h1 import _cython as cython

if not cython.compiled:  # compiled, wsgi.pxd cimports conn.pxd's C function (Py_REFCNT)
    from .conn import _refs

#: (name, value) header pairs already checked by start_response -> the Content-Length value
#: for that header, -1 for any other (bounded: apps repeat theirs).
_CHECKED: dict[tuple[str, str], int] = {}
_CHECKED_MAX = 4096
#: Status lines already checked by start_response -> (code, reason), the reason None when it
#: is the code's standard phrase (bounded as _CHECKED).
_STATUSES: dict[str, tuple[int, str | None]] = {}


class WSGIError(RuntimeError):
    """WSGIError: the application broke the WSGI protocol.

    A wrong ``start_response`` call, a block that is not bytes ...
    """


class FileWrapper:
    """FileWrapper is ``wsgi.file_wrapper``: a file to send (with ``os.sendfile`` if it is a real file).

    Iterating yields blocks of ``block_size`` bytes (used when the file has
    no descriptor); ``close()`` closes the file.
    """

    def __init__(self, filelike: Any, block_size: int = 8192) -> None:
        self.filelike = filelike
        self.block_size = block_size
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self) -> Iterator[bytes]:
        read = self.filelike.read
        while data := read(self.block_size):
            yield data

    def fileno(self) -> int | None:
        """fileno returns the wrapped file's descriptor if it is a regular file, else ``None``."""
        try:
            fd = self.filelike.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
        except OSError:
            return None
        return int(fd)


class _Start:
    """_Start is one connection's WSGI state; calling it is its current request's ``start_response``.

    ``env`` builds the environ of each request of the connection
    (:class:`~gonet.http.wsgienv.Environ`) and ``handler`` is the
    :class:`WSGIHandler` that made it. ``w`` is the current request's writer
    (``None`` between requests), ``code``, ``reason``, ``headers`` and
    ``declared`` what ``start_response`` was given (PEP 3333); ``status`` and
    ``items`` the status str and the header pairs the last call checked (held,
    so a later call passing the same objects needs no look-up). The connection
    keeps its ``_Start`` for its next request only while nothing else holds it:
    an application may keep ``start_response``, and a later call must never
    reach a later request's response.
    """

    __slots__ = ("code", "declared", "env", "handler", "headers", "items", "items_declared",
                 "reason", "status", "w")

    def __init__(self, handler: WSGIHandler, env: Environ) -> None:
        self.handler = handler
        self.env = env
        self.w: ResponseWriter | None = None
        self.code = 0
        self.reason: str | None = None
        self.headers: list[tuple[str, str]] | None = None
        self.declared: int | None = None
        self.status: str | None = None
        self.items: list[tuple[str, str]] = []
        self.items_declared: int | None = None

    def __call__(self, status: str, headers: list[tuple[str, str]],
                 exc_info: ExcInfo | None = None) -> Callable[[bytes], None]:
        w = self.w
        if w is None:
            raise WSGIError("start_response called after its request ended")
        if exc_info is not None:
            try:
                if w._head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no cycle through the frame (PEP 3333)
        elif self.headers is not None:
            raise WSGIError("start_response called a second time without exc_info")
        if status is not self.status:  # (the same str object as last time: checked, code and reason set)
            parsed = _STATUSES.get(status) if type(status) is str else None
            if parsed is None:
                parsed = _check_status(status)
            self.code, self.reason = parsed
            self.status = status
        if type(headers) is not list:
            raise WSGIError(f"headers must be a list, not {type(headers).__name__}")
        # The same pair objects as the last call (an app returning its constant pairs, in a
        # fresh list or not): checked then, and pairs of plain str cannot have changed since.
        if _same_items(headers, self.items):
            declared = self.items_declared
        else:
            declared = _check_headers(headers)
            self.items = list(headers)
            self.items_declared = declared
        self.headers = headers
        self.declared = declared
        return self.write

    def begin(self) -> None:
        """Hand status and headers to the writer (at the first non-empty block or the end)."""
        w = self.w
        if w is None:
            raise WSGIError("write() called after its request ended")
        headers = self.headers
        if headers is None:
            raise WSGIError("the application sent a body (or returned) before calling start_response")
        if w.status is None:
            w._start_checked(self.code, self.reason, list(headers), self.declared)

    def write(self, data: bytes) -> None:
        """The legacy ``write()`` callable: sends ``data`` at once."""
        if type(data) is not bytes:
            raise WSGIError(f"write() takes bytes, not {type(data).__name__}")
        self.begin()
        w = self.w
        assert w is not None  # begin() checked
        w.write(self.fit(data))
        w.flush()

    def fit(self, data: bytes) -> bytes:
        """Cut ``data`` to what the declared Content-Length still allows."""
        declared = self.declared
        w = self.w
        assert w is not None  # only called while a response is under way
        if declared is not None and w.written + len(data) > declared:
            log.warning("http: WSGI application wrote more than its Content-Length %d; cut", declared)
            return data[:max(0, declared - w.written)]
        return data


def _same_items(headers: list[tuple[str, str]], last: list[tuple[str, str]]) -> bool:
    """Whether ``headers`` holds the very objects of ``last``, in order."""
    n = len(headers)
    if n != len(last):
        return False
    # A loop, not all(...): compiled, the generator expression is a real generator (~10x the cost).
    for i in range(n):  # noqa: SIM110
        if headers[i] is not last[i]:
            return False
    return True


def _check_headers(headers: list[tuple[str, str]]) -> int | None:
    """Check the header pairs start_response was given; the Content-Length they declare, if any."""
    declared = None
    checked = _CHECKED
    for item in headers:
        # One look-up answers both "already checked?" and "is it Content-Length, of what?".
        length = checked.get(item) if type(item) is tuple else None
        # A hit compares by value: a str subclass equal to a checked pair must still be
        # refused as it is on a cold cache (keys are pairs, so item has two fields here).
        if length is None or type(item[0]) is not str or type(item[1]) is not str:
            length = _check_header(item)
        if length >= 0:
            declared = length
    return declared


def _check_status(status: object) -> tuple[int, str | None]:
    """Check a status line start_response was given the first time; cache it; (code, reason)."""
    if type(status) is not str:
        raise WSGIError(f"status must be a str, not {type(status).__name__}")
    m = _STATUS_RE.fullmatch(status)
    if m is None:
        raise WSGIError(f"malformed status {status!r} (want e.g. '200 OK')")
    if not status.isascii():
        try:
            status.encode("latin-1")
        except UnicodeEncodeError:
            raise WSGIError("the status must be latin-1") from None
    code = int(m.group(1))
    reason = m.group(2)
    parsed = (code, reason if reason != STATUS_TEXT.get(code) else None)
    if len(_STATUSES) < _CHECKED_MAX:
        _STATUSES[status] = parsed
    return parsed


def _check_header(item: object) -> int:
    """Check a header pair start_response was given the first time; cache it.

    Returns its Content-Length value, or -1 if it is another header.
    """
    if type(item) is not tuple or len(item) != 2:
        raise WSGIError(f"header must be a (name, value) tuple, not {item!r}")
    name, value = item
    if type(name) is not str or type(value) is not str:
        raise WSGIError(f"header name and value must be str: {item!r}")
    if _NAME_RE.fullmatch(name) is None:
        raise WSGIError(f"invalid header name {name!r}")
    if _BAD_VALUE_RE.search(value) is not None:
        raise WSGIError(f"invalid header value {value!r} for {name!r}")
    lname = name.lower()
    if lname in HOP_BY_HOP:
        raise WSGIError(f"hop-by-hop header {name!r} is not allowed in a WSGI response")
    length = -1
    if lname == "content-length":
        v = value.strip()
        if not v.isdigit() or not v.isascii():
            raise WSGIError(f"invalid Content-Length {value!r}")
        length = int(v)
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise WSGIError(f"header value {value!r} for {name!r} is not latin-1") from None
    if len(_CHECKED) < _CHECKED_MAX:
        _CHECKED[(name, value)] = length  # a plain tuple of two plain str: hashes as it compares
    return length


def _check_pair(w: object, r: object) -> None:
    # Compiled, environ/_serve type w, r and w's connection as C classes, which lets None
    # through to a field read that would crash the process; both builds raise the same TypeError.
    if isinstance(w, ResponseWriter) and isinstance(r, Request):
        rw = w
        if isinstance(rw._sc, ServerConn):
            return
    raise TypeError("WSGIHandler: expected (ResponseWriter, Request) of a server connection, got "
                    f"({type(w).__name__}, {type(r).__name__})")


class WSGIHandler:
    """WSGIHandler serves a WSGI application as a native handler: ``Server(WSGIHandler(app))``.

    ``url_scheme`` is ``wsgi.url_scheme`` (a trusted ``X-Forwarded-Proto``
    overrides it), ``script_name`` the ``SCRIPT_NAME`` the app is mounted at,
    ``multiprocess`` the value of ``wsgi.multiprocess`` (True under pre-forked
    workers). ``wsgi.multithread`` is False: requests run in goroutines on one
    thread.
    """

    __slots__ = ("app", "errors", "multiprocess", "script_name", "url_scheme")

    def __init__(self, app: WSGIApp, *, url_scheme: str = "http", script_name: str = "",
                 multiprocess: bool = False, errors: Any = None) -> None:
        self.app = app
        self.url_scheme = url_scheme
        self.script_name = script_name.rstrip("/")
        self.multiprocess = multiprocess
        self.errors = errors

    def environ(self, w: ResponseWriter, r: Request) -> dict[str, Any]:
        """environ builds the PEP 3333 environ for ``r``."""
        _check_pair(w, r)
        sc = w._sc
        st = sc.wsgi_base
        if st is None or st.handler is not self:
            st = sc.wsgi_base = _Start(self, Environ(self._conn_environ(sc.conn, r)))
        env: dict[str, Any] = st.env.build(sc, r)
        return env

    def _conn_environ(self, conn: gonet.Conn, r: Request) -> dict[str, Any]:
        """The environ entries that stay the same for every request of one connection."""
        local = conn.local_addr
        peer = conn.remote_addr
        return {
            "SCRIPT_NAME": self.script_name,
            "SERVER_NAME": local.host if local is not None else "",
            "SERVER_PORT": str(local.port) if local is not None and local.port is not None else "",
            "REMOTE_ADDR": peer.host if peer is not None else "",
            "REMOTE_PORT": str(peer.port) if peer is not None and peer.port is not None else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.url_scheme,
            "wsgi.errors": self.errors if self.errors is not None else sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": self.multiprocess,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
            "wsgi.file_wrapper": FileWrapper,
        }

    def __call__(self, w: ResponseWriter, r: Request) -> None:
        _check_pair(w, r)
        self._serve(w, r)

    def _serve(self, w: ResponseWriter, r: Request) -> None:
        sc = w._sc
        st = sc.wsgi_base
        if st is None or st.handler is not self:
            st = sc.wsgi_base = _Start(self, Environ(self._conn_environ(sc.conn, r)))
        elif _refs(st) != 2:  # held by more than sc.wsgi_base and st: the app kept start_response
            st = sc.wsgi_base = _Start(self, st.env)
        env = st.env.build(sc, r)
        st.w = w
        try:
            result = self.app(env, st)
            if type(result) is list or type(result) is tuple:
                # The common case in as few steps as possible: at most one bytes block (lists
                # and tuples have no close()). The writer may keep the app's header list
                # instead of a copy: no code of the app runs before the head is built from it.
                n = len(result)
                headers = st.headers
                if n <= 1 and headers is not None and w.status is None:
                    block = result[0] if n else b""
                    if type(block) is bytes:
                        declared = st.declared
                        w._start_checked(st.code, st.reason, headers, declared)
                        if block:
                            w.write(block if declared is None or len(block) <= declared else st.fit(block))
                        return
            self._send_iterable(st, w, result)
        finally:
            # Between requests the connection's _Start holds nothing of the last one (its
            # writer is free for reuse; a kept start_response cannot reach it any more).
            st.w = None
            st.headers = None

    def _send_iterable(self, st: _Start, w: ResponseWriter, result: Iterable[bytes]) -> None:
        """Send any other result: a file (sendfile), a list or tuple, an iterable; close() it."""
        try:
            if type(result) is FileWrapper and (fd := result.fileno()) is not None:
                st.begin()
                if w.written:
                    w.flush()
                offset = result.filelike.tell()
                count = max(0, os.fstat(fd).st_size - offset)
                if st.declared is not None:
                    count = min(count, st.declared - w.written)
                w.sendfile(fd, offset, count)
                return
            single = False
            if type(result) is list or type(result) is tuple:
                single = len(result) <= 1
            for block in result:
                if type(block) is not bytes:
                    raise WSGIError(f"the application yielded {type(block).__name__}, not bytes")
                if not block:
                    continue
                st.begin()
                w.write(st.fit(block))
                if not single:
                    w.flush()
                if st.declared is not None and w.written >= st.declared:
                    break
            st.begin()
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


def serve_wsgi(app: WSGIApp, address: str | gonet.Listener, **server_kwargs: Any) -> Server:
    """serve_wsgi serves ``app`` on ``address`` (TCP address or Listener) until it stops (in a goroutine).

    Returns the :class:`Server` once its listener is closed (by the
    server's shutdown/close, or by the caller closing the Listener it
    passed). ``url_scheme``, ``script_name`` and ``multiprocess`` go to the
    :class:`WSGIHandler`, the rest to the Server.
    """
    handler_kw = {k: server_kwargs.pop(k) for k in ("url_scheme", "script_name", "multiprocess")
                  if k in server_kwargs}
    srv = Server(WSGIHandler(app, **handler_kw), **server_kwargs)
    if isinstance(address, str):
        srv.listen_and_serve(address)
    else:
        srv.serve(address)
    return srv


def run_wsgi(app: WSGIApp, address: str, **kw: Any) -> None:
    """run_wsgi starts a gonet runtime and serves ``app`` on ``address`` in it (until interrupted)."""
    gonet.run(serve_wsgi, app, address, **kw)
