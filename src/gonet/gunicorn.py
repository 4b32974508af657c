"""gunicorn: a gunicorn worker class serving with gonet.http — ``gunicorn -k gonet.gunicorn.Worker app:app``.

gunicorn stays the process manager (master, worker count, reloads, logs,
hooks); each worker process runs one gonet runtime with a
:class:`gonet.http.Server`, a goroutine per connection, over gunicorn's own
listening sockets (each served through :func:`gonet.file_listener`: a copy
registered with the worker's netpoller; gunicorn keeps the originals).

What gunicorn expects of a worker, and how this one does it:

- **Timeout** (``--timeout``): the worker must call ``self.notify()`` more
  often than every ``timeout`` seconds or the master kills it. A heartbeat
  goroutine does, so the heartbeat stops exactly when the runtime's thread
  is stuck (an app blocking it in C or ``time.sleep``) — the case the
  timeout exists for; parked requests (long polls) do not count.
- **Graceful stop / reload** (``SIGTERM``, and ``SIGHUP`` to the master,
  which starts new workers and ``SIGTERM``\\ s the old): gunicorn's handler
  clears ``self.alive``; the heartbeat sees it and runs
  ``Server.shutdown(graceful_timeout)``: the listeners close, idle
  keep-alive connections close, requests in flight finish. ``SIGINT``/
  ``SIGQUIT`` keep gunicorn's meaning: exit at once.
- **Max requests** (``--max-requests``, ``--max-requests-jitter``): every
  request counts in ``self.nr``; at ``self.max_requests`` the worker logs
  "Autorestarting worker after current request." and stops gracefully, and
  gunicorn starts a new one.
- **Parent gone**: a worker whose master was replaced (``ppid`` changed) stops.
- Settings mapped onto the Server: ``--keep-alive`` → ``idle_timeout``,
  ``--limit-request-line``/``--limit-request-fields``/``--limit-request-field_size``
  → header limits, ``--worker-connections`` → ``max_conns``,
  ``--forwarded-allow-ips``, ``--graceful-timeout``; ``--accesslog`` gets a
  combined-format line per request on gunicorn's access logger
  (``--access-logformat`` is not applied); ``--certfile``/``--keyfile`` serve
  TLS through ``gonet.tls`` with gunicorn's SSL context.

gunicorn is an optional dependency (the ``gunicorn`` extra): chosen because it
is how most Python shops deploy WSGI; this module is the only one importing it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.workers.base import Worker as _GunicornWorker  # type: ignore[import-untyped]

import gonet

__all__ = ["HEARTBEAT_MAX", "Worker"]

#: HEARTBEAT_MAX is the longest the heartbeat waits between two looks at ``alive``, in seconds.
HEARTBEAT_MAX = 0.1


class Worker(_GunicornWorker):  # type: ignore[misc]
    """Worker is the gunicorn worker class running a gonet.http Server (``-k gonet.gunicorn.Worker``)."""

    def run(self) -> None:
        """run serves gunicorn's sockets in a gonet runtime until the worker is told to stop."""
        gonet.run(self._serve)

    # --- inside the runtime ----------------------------------------------------------

    def _server_kwargs(self) -> dict[str, Any]:
        cfg = self.cfg
        kw: dict[str, Any] = {}
        if cfg.keepalive and cfg.keepalive > 0:  # 0 (keep-alive off) keeps the Server's default
            kw["idle_timeout"] = float(cfg.keepalive)
        if cfg.limit_request_line:
            kw["max_request_line"] = int(cfg.limit_request_line)
        if cfg.limit_request_fields:
            kw["max_header_fields"] = int(cfg.limit_request_fields)
        if cfg.limit_request_field_size and cfg.limit_request_fields:
            kw["max_header_bytes"] = int(cfg.limit_request_field_size) * int(
                cfg.limit_request_fields)
        if cfg.worker_connections:
            kw["max_conns"] = int(cfg.worker_connections)
        ips = cfg.forwarded_allow_ips
        kw["forwarded_allow_ips"] = tuple(ips if not isinstance(ips, str) else ips.split(","))
        if cfg.accesslog:
            from .http.accesslog import format_combined

            access_logger = self.log.access_log

            def access(record: dict[str, Any]) -> None:
                access_logger.info(format_combined(record))

            kw["access_log"] = access
        return kw

    def _count_requests(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            self.nr += 1
            if self.nr >= self.max_requests and self.alive:  # type: ignore[has-type]
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
                self._stop()  # stop accepting as soon as this goroutine parks
            return app(environ, start_response)

        return counted

    def _stop(self) -> None:
        gonet.select((self._stop_ch, None), default=True)

    def _serve(self) -> None:
        from .http import Server, WSGIHandler

        self._stop_ch: gonet.Chan[None] = gonet.Chan(1)
        self._done = False
        tls = None
        if self.cfg.is_ssl:
            from gunicorn.sock import ssl_context  # type: ignore[import-untyped]

            from gonet import tls as gonet_tls  # type: ignore[attr-defined,unused-ignore]

            tls = ssl_context(self.cfg)
        handler = WSGIHandler(self._count_requests(self.wsgi),
                              url_scheme="https" if tls is not None else "http")
        srv = Server(handler, **self._server_kwargs())
        lns: list[Any] = [gonet.file_listener(s) for s in self.sockets]
        if tls is not None:
            lns = [gonet_tls.TLSListener(ln, tls) for ln in lns]
        serving = [gonet.go(srv.serve, ln) for ln in lns]
        heartbeat = gonet.go(self._heartbeat)
        self._stop_ch.recv()
        graceful = float(self.cfg.graceful_timeout)
        if not srv.shutdown(timeout=graceful):
            self.log.warning("gonet worker: requests still running after %g s; closing them",
                             graceful)
            srv.close()
        for g in serving:
            g.join(timeout=5.0)
        self._done = True
        heartbeat.join(timeout=5.0)
        sys.stdout.flush()

    def _heartbeat(self) -> None:
        """Tell the master we are alive until the worker exits; start the stop once told to.

        It keeps beating through the graceful shutdown: draining requests is
        not being stuck.
        """
        interval = max(0.01, min(HEARTBEAT_MAX, float(self.timeout) / 2.0))
        while not self._done:
            self.notify()
            if self.alive and self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                self.alive = False
            if not self.alive:
                self._stop()
            gonet.sleep(interval)
