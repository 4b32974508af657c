"""wsgienv: the WSGI environ of each request on one connection (for :mod:`gonet.http.wsgi`).

:class:`Environ` is a connection's environ builder. ``base`` holds the
entries every request of the connection shares; the first request's
environ is kept as a template, with the request values it was built from.
A later request whose headers equal the template's (and whose peer and
framing are as plain: no trusted ``X-Forwarded-For``, not chunked) gets a
copy of the template with only the entries that differ overwritten — the
same dict a fresh build would give, at a fraction of the work. Every
request gets its own dict: the application may keep or change it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .request import EMPTY_BODY

if TYPE_CHECKING:
    from .conn import ServerConn
    from .request import Request

__all__ = ["Environ"]

#: Lower-cased header name -> environ key (bounded: clients repeat their headers).
_ENV_KEYS: dict[str, str] = {}
#: Host header -> SERVER_NAME (bounded as _ENV_KEYS).
_SERVER_NAMES: dict[str, str] = {}


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


class Environ:
    """Environ builds the PEP 3333 environ of each request on one connection.

    ``base`` is the connection's shared entries (its ``SCRIPT_NAME`` is the
    mount point stripped from ``PATH_INFO``). ``host`` and ``server_name``
    are the last Host header seen and the SERVER_NAME it gave. ``tmpl`` is
    the first request's environ (never handed out, only copies of it) and
    ``index`` its header index; ``method`` ... ``scheme`` the request values
    ``tmpl`` was built from (``body`` only if it is the shared empty body).
    """

    __slots__ = ("base", "body", "host", "index", "method", "minor", "path", "query", "scheme",
                 "script", "server_name", "target", "tmpl")

    def __init__(self, base: dict[str, Any]) -> None:
        self.base = base
        self.script: str = base["SCRIPT_NAME"]
        self.host = ""
        self.server_name = ""
        self.tmpl: dict[str, Any] | None = None
        self.index: dict[str, str] | None = None
        self.method = ""
        self.path = ""
        self.query = ""
        self.target = ""
        self.minor = -1
        self.body: Any = None
        self.scheme = ""

    def build(self, sc: ServerConn, r: Request) -> dict[str, Any]:
        """The environ of ``r``, a request on ``sc``."""
        h = r.headers
        index = h._lookup()
        peer = r.remote_addr
        tmpl = self.tmpl
        if (tmpl is not None and (peer is sc.remote or peer is None) and r.content_length is not None
                and index == self.index):
            env = tmpl.copy()
            if r.method != self.method:
                env["REQUEST_METHOD"] = r.method
            if r.path != self.path:
                env["PATH_INFO"] = self._path_info(r.path)
            if r.query != self.query:
                env["QUERY_STRING"] = r.query
            if r.target != self.target:
                env["RAW_URI"] = r.target
            if r.proto_minor != self.minor:
                env["SERVER_PROTOCOL"] = "HTTP/1.1" if r.proto_minor else "HTTP/1.0"
            if r.body is not self.body:
                env["wsgi.input"] = r.body
            if r.scheme != self.scheme:
                env["wsgi.url_scheme"] = "https" if r.scheme == "https" else self.base["wsgi.url_scheme"]
            return env
        env = self._fresh(sc, r, index)
        if tmpl is None and (peer is sc.remote or peer is None) and r.content_length is not None:
            # The first plain request: its environ becomes the template (a copy: the app may
            # change the one it gets).
            self.tmpl = env.copy()
            self.index = dict(index)
            self.method = r.method
            self.path = r.path
            self.query = r.query
            self.target = r.target
            self.minor = r.proto_minor
            # No reference to a request body of its own (it holds the connection): such a
            # body is set in every copy.
            self.body = r.body if r.body is EMPTY_BODY else None
            self.tmpl["wsgi.input"] = self.body
            self.scheme = r.scheme
        return env

    def _path_info(self, path: str) -> str:
        """PATH_INFO: the request's path without the mount point."""
        script = self.script
        if script and (path == script or path.startswith(script + "/")):
            return path[len(script):]
        return path

    def _fresh(self, sc: ServerConn, r: Request, index: dict[str, str]) -> dict[str, Any]:
        """The environ of ``r`` built entry by entry: a copy of ``base`` plus the request's entries."""
        base = self.base
        env = base.copy()
        env["REQUEST_METHOD"] = r.method
        env["PATH_INFO"] = self._path_info(r.path)
        env["QUERY_STRING"] = r.query
        host = r.host
        if host:
            if host != self.host:  # a str compare, cheaper than hashing the new str for a look-up
                name = _SERVER_NAMES.get(host)
                self.server_name = name if name is not None else _server_name(host, base["SERVER_NAME"])
                self.host = host
            env["SERVER_NAME"] = self.server_name
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
        for lname, value in index.items():
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
