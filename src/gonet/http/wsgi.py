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

from .request import Request
from .response import ResponseWriter
from .server import Server, log

__all__ = ["FileWrapper", "WSGIError", "WSGIHandler", "run_wsgi", "serve_wsgi"]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_STATUS_RE = re.compile(r"([1-9][0-9][0-9]) ([\t\x20-\x7e\x80-\xff]*)")
_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#: Hop-by-hop headers an application must not set (PEP 3333, "Other HTTP Features").
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade"})

_ENV_KEYS: dict[str, str] = {}
_SERVER_NAMES: dict[str, str] = {}
#: (name, value) header pairs already checked by start_response (bounded: apps repeat theirs).
_CHECKED: set[tuple[str, str]] = set()
_CHECKED_MAX = 4096
#: Status lines already checked by start_response -> (code, reason) (bounded as _CHECKED).
_STATUSES: dict[str, tuple[int, str]] = {}


def _server_name(host: str, default: str) -> str:
    """SERVER_NAME from the Host header (without the port), else the local address."""
    if not host:
        return default
    name = _SERVER_NAMES.get(host)
    if name is None:
        if host.startswith("["):
            name = host[1:host.find("]")] if "]" in host else host
        else:
            name = host.rsplit(":", 1)[0] if ":" in host else host
        if len(_SERVER_NAMES) < 1024:
            _SERVER_NAMES[host] = name
    return name


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
    """The state of one response's ``start_response`` (PEP 3333)."""

    __slots__ = ("code", "declared", "headers", "reason", "w")

    def __init__(self, w: ResponseWriter) -> None:
        self.w = w
        self.code = 0
        self.reason = ""
        self.headers: list[tuple[str, str]] | None = None
        self.declared: int | None = None

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: ExcInfo | None = None) -> Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.w._head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no cycle through the frame (PEP 3333)
        elif self.headers is not None:
            raise WSGIError("start_response called a second time without exc_info")
        parsed = _STATUSES.get(status) if type(status) is str else None
        if parsed is None:
            if type(status) is not str:
                raise WSGIError(f"status must be a str, not {type(status).__name__}")
            m = _STATUS_RE.fullmatch(status)
            if m is None:
                raise WSGIError(f"malformed status {status!r} (want e.g. '200 OK')")
        if type(headers) is not list:
            raise WSGIError(f"headers must be a list, not {type(headers).__name__}")
        declared = None
        checked = _CHECKED
        for item in headers:
            if type(item) is tuple and item in checked:
                if len(item[0]) == 14 and item[0].lower() == "content-length":
                    declared = int(item[1].strip())
                continue
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
            if lname == "content-length":
                v = value.strip()
                if not v.isdigit() or not v.isascii():
                    raise WSGIError(f"invalid Content-Length {value!r}")
                declared = int(v)
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise WSGIError(f"header value {value!r} for {name!r} is not latin-1") from None
            if len(checked) < _CHECKED_MAX and type(name) is str and type(value) is str:
                checked.add(item)
        if parsed is None:
            if not status.isascii():
                try:
                    status.encode("latin-1")
                except UnicodeEncodeError:
                    raise WSGIError("the status must be latin-1") from None
            assert m is not None  # matched above (parsed is None only on that path)
            parsed = (int(m.group(1)), m.group(2))
            if len(_STATUSES) < _CHECKED_MAX:
                _STATUSES[status] = parsed
        self.code, self.reason = parsed
        self.headers = headers
        self.declared = declared
        return self.write

    def begin(self) -> None:
        """Hand status and headers to the writer (at the first non-empty block or the end)."""
        headers = self.headers
        if headers is None:
            raise WSGIError("the application sent a body (or returned) before calling start_response")
        w = self.w
        if w.status is None:
            w._start_checked(self.code, self.reason, list(headers), self.declared)

    def write(self, data: bytes) -> None:
        """The legacy ``write()`` callable: sends ``data`` at once."""
        if type(data) is not bytes:
            raise WSGIError(f"write() takes bytes, not {type(data).__name__}")
        self.begin()
        self.w.write(self.fit(data))
        self.w.flush()

    def fit(self, data: bytes) -> bytes:
        """Cut ``data`` to what the declared Content-Length still allows."""
        declared = self.declared
        if declared is not None and self.w.written + len(data) > declared:
            log.warning("http: WSGI application wrote more than its Content-Length %d; cut", declared)
            return data[:max(0, declared - self.w.written)]
        return data


def _check_pair(w: object, r: object) -> None:
    # Compiled, environ/_serve type w and r as C classes, which lets None through to a
    # field read that would crash the process; both builds raise the same TypeError.
    if not isinstance(w, ResponseWriter) or not isinstance(r, Request):
        raise TypeError("WSGIHandler: expected (ResponseWriter, Request), got "
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
        env = sc.wsgi_base
        if env is None:
            env = sc.wsgi_base = self._conn_environ(sc.conn, r)
        env = env.copy()
        path = r.path
        script = self.script_name
        if script and (path == script or path.startswith(script + "/")):
            path = path[len(script):]
        env["REQUEST_METHOD"] = r.method
        env["PATH_INFO"] = path
        env["QUERY_STRING"] = r.query
        host = r.host
        name = _SERVER_NAMES.get(host) if host else None
        env["SERVER_NAME"] = name if name is not None else _server_name(host, env["SERVER_NAME"])
        env["SERVER_PROTOCOL"] = "HTTP/1.1" if r.proto_minor else "HTTP/1.0"
        env["RAW_URI"] = r.target
        env["wsgi.input"] = r.body
        if r.scheme == "https":
            env["wsgi.url_scheme"] = "https"
        peer = r.remote_addr
        if peer is not sc.remote and peer is not None:  # a trusted X-Forwarded-For
            env["REMOTE_ADDR"] = peer.host
            env["REMOTE_PORT"] = str(peer.port) if peer.port else ""
        keys = _ENV_KEYS
        for lname, value in r.headers._lookup().items():
            key = keys.get(lname)
            if key is None:
                if "_" in lname:
                    continue  # "X_Foo" would alias "X-Foo" (nginx and gunicorn drop these too)
                key = "HTTP_" + lname.upper().replace("-", "_")
                if key == "HTTP_CONTENT_TYPE":
                    key = "CONTENT_TYPE"
                elif key == "HTTP_CONTENT_LENGTH":
                    key = "CONTENT_LENGTH"
                if len(keys) < 1024:
                    keys[lname] = key
            env[key] = value
        if r.content_length is None:
            env.pop("CONTENT_LENGTH", None)  # chunked: read wsgi.input to its end
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
        env = self.environ(w, r)
        st = _Start(w)
        result = self.app(env, st.start_response)
        if type(result) is list and len(result) == 1:
            # The common case, in as few steps as possible: one bytes block (lists have no close()).
            block = result[0]
            if type(block) is bytes and st.headers is not None and w.status is None:
                w._start_checked(st.code, st.reason, list(st.headers), st.declared)
                if block:
                    w.write(block if st.declared is None else st.fit(block))
                return
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
            if type(result) is list or type(result) is tuple:
                blocks: Iterable[bytes] = result
                single = len(result) <= 1
            else:
                blocks = result
                single = False
            for block in blocks:
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
