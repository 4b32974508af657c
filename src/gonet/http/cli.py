"""cli: ``python -m gonet serve [module:app] [options]`` — serve a WSGI app with gonet.http.

::

    python -m gonet serve                          # the built-in page on 127.0.0.1:8000
    python -m gonet serve myproject.wsgi:application --bind :8080 --workers 4
    python -m gonet serve 'app:create_app()' --access-log --debug-page

The first line printed on stdout is ``listening on URL[, URL...]`` (the real
port when the bind asks for port 0), so scripts and tests can wait for it.
``APP`` is ``module:attribute`` (dotted attributes allowed),
``module:factory(...)`` (called with literal arguments, Flask's
``create_app()`` pattern), or ``module`` alone (``app``, then
``application``). The current directory is put on ``sys.path`` first, as
gunicorn does. The app is imported once, in the parent, before any worker is
forked (gunicorn's ``--preload``): an import error is reported before
anything listens, and workers share the imported code copy-on-write.

Exit status: 0 after a graceful shutdown that finished every request, 1 if
requests were cut (second signal, grace period over) or serving failed
(address in use ...), 2 for bad arguments (unknown app, bad address, TLS
without ``gonet.tls``).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import re
import socket
import ssl
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import gonet

from .prefork import Master, ServeOptions, serve_process

__all__ = ["DEFAULT_BIND", "AppError", "Bound", "add_arguments", "load_app", "main", "open_sockets"]

#: DEFAULT_BIND is where ``serve`` listens without ``--bind`` (loopback only).
DEFAULT_BIND = "127.0.0.1:8000"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_FACTORY = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)\s*\((?P<args>.*)\)\s*$", re.DOTALL)


class AppError(Exception):
    """AppError says why an ``APP`` argument or another option cannot be used."""


def _call_factory(fn: Any, args_src: str, spec: str) -> Any:
    try:
        call = ast.parse(f"f({args_src})", mode="eval").body
        assert isinstance(call, ast.Call)
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (SyntaxError, ValueError) as e:
        raise AppError(f"{spec}: factory arguments must be Python literals ({e})") from None
    return fn(*args, **kwargs)


def load_app(spec: str) -> WSGIApp:
    """load_app imports ``module:app`` / ``module:factory(...)`` / ``module`` and returns the app.

    Raises :class:`AppError` with a message naming what is missing (the
    module, the attribute, a non-callable object); an exception raised while
    the module executes is reported with its traceback.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not re.fullmatch(r"[A-Za-z_][\w.]*", module_name):
        raise AppError(f"{spec!r}: expected module:app, module:factory() or module")
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        if e.name is not None and module_name.startswith(e.name):
            raise AppError(f"cannot import module {module_name!r}: {e}") from None
        raise AppError(f"importing {module_name!r} failed:\n{traceback.format_exc()}") from None
    except Exception:
        raise AppError(f"importing {module_name!r} failed:\n{traceback.format_exc()}") from None
    names = [attr] if attr else ["app", "application"]
    for name in names:
        m = _FACTORY.match(name)
        target = m["name"] if m else name.strip()
        obj: Any = module
        try:
            for part in target.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        if m is not None:
            try:
                obj = _call_factory(obj, m["args"], spec)
            except AppError:
                raise
            except Exception:
                raise AppError(f"{spec}: the factory raised:\n{traceback.format_exc()}") from None
        if not callable(obj):
            raise AppError(f"{spec}: {target} is a {type(obj).__name__}, not a WSGI app")
        return obj  # type: ignore[no-any-return]
    raise AppError(f"module {module_name!r} has no attribute "
                   + " or ".join(repr(n) for n in names))


def _somaxconn() -> int:
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            return min(max(int(f.read().split()[0]), 1), 65535)
    except (OSError, ValueError, IndexError):
        return socket.SOMAXCONN


def _resolve_bind(address: str) -> tuple[int, Any, bool]:
    try:
        host, port_s = gonet.split_host_port(address)
        port = int(port_s)
    except (gonet.AddrError, ValueError) as e:
        raise AppError(f"--bind {address}: {e}") from None
    if host == "":
        if socket.has_ipv6:
            return socket.AF_INET6, ("::", port), False  # dual-stack, as Go's ":port"
        return socket.AF_INET, ("0.0.0.0", port), False
    try:
        ai = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise AppError(f"--bind {address}: {e}") from None
    return ai[0][0], ai[0][4], ai[0][0] == socket.AF_INET6


def _tcp_socket(family: int, sa: Any, v6only: bool, reuse_port: bool) -> socket.socket:
    s = socket.socket(family, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
        if reuse_port:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(sa)
        s.listen(_somaxconn())
    except OSError:
        s.close()
        raise
    return s


@dataclass
class Bound:
    """Bound is what :func:`open_sockets` opened for the ``--bind`` addresses."""

    shared: list[socket.socket] = field(default_factory=list)  # served by every worker
    per_worker: list[list[socket.socket]] = field(default_factory=list)  # [slot] (reuse_port)
    names: list[str] = field(default_factory=list)  # URLs for the "listening on" line
    unix_paths: list[str] = field(default_factory=list)

    def close(self) -> None:
        """close closes every socket and removes the unix socket files."""
        for s in (*self.shared, *(s for slot in self.per_worker for s in slot)):
            s.close()
        for p in self.unix_paths:
            _unlink(p)


def open_sockets(binds: list[str], *, reuse_port_workers: int = 0) -> Bound:
    """open_sockets opens the ``--bind`` addresses in this process, before any fork.

    Every socket listens (``SO_REUSEADDR``, backlog ``somaxconn``). With
    ``reuse_port_workers`` N > 0 each TCP address gets N ``SO_REUSEPORT``
    sockets on one port, ``per_worker[i]`` for worker slot i (the kernel
    spreads connections across them); otherwise one socket in ``shared``.
    ``unix:PATH`` binds a unix socket, always shared. Raises
    :class:`AppError` for a malformed address and ``OSError``
    (``EADDRINUSE`` ...) for a failed bind.
    """
    out = Bound(per_worker=[[] for _ in range(reuse_port_workers)])
    try:
        for b in binds:
            if b.startswith("unix:"):
                path = b[5:]
                if not path:
                    raise AppError(f"--bind {b}: empty unix socket path")
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
                try:
                    s.bind(path)
                    s.listen(_somaxconn())
                except OSError:
                    s.close()
                    raise
                out.shared.append(s)
                out.unix_paths.append(path)
                out.names.append(f"unix:{path}")
                continue
            family, sa, v6only = _resolve_bind(b)
            if reuse_port_workers:
                first = _tcp_socket(family, sa, v6only, True)
                out.per_worker[0].append(first)
                sa = first.getsockname()  # the real port, for port 0
                for slot in out.per_worker[1:]:
                    slot.append(_tcp_socket(family, sa, v6only, True))
                bound = first.getsockname()
            else:
                s = _tcp_socket(family, sa, v6only, False)
                out.shared.append(s)
                bound = s.getsockname()
            out.names.append(f"http://{gonet.join_host_port(bound[0], bound[1])}")
    except BaseException:
        out.close()
        raise
    return out


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def add_arguments(p: argparse.ArgumentParser) -> None:
    """add_arguments adds the options of ``serve`` to ``p``."""
    p.add_argument("app", nargs="?", default=None, metavar="APP",
                   help="module:app or module:factory() (default: the built-in page)")
    p.add_argument("-b", "--bind", action="append", metavar="ADDRESS",
                   help=f"HOST:PORT, :PORT or unix:PATH; repeat for several "
                        f"(default {DEFAULT_BIND})")
    p.add_argument("-w", "--workers", type=int, default=1,
                   help="processes to pre-fork, supervised by a master (default 1: no master)")
    p.add_argument("--reuse-port", action=argparse.BooleanOptionalAction, default=True,
                   help="with --workers: each worker listens on its own SO_REUSEPORT socket "
                        "(the default: the kernel spreads connections evenly); "
                        "--no-reuse-port shares one listening socket")
    p.add_argument("--access-log", action="store_true",
                   help="log every request to stdout (combined log format)")
    p.add_argument("--debug-page", action="store_true",
                   help="serve the goroutine/stats debug page at /debug/gonet/")
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1", metavar="IPS",
                   help="comma-separated proxy addresses whose X-Forwarded-For/-Proto are "
                        "trusted, '*' for all (default 127.0.0.1)")
    p.add_argument("--graceful-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="on SIGTERM/SIGINT, how long requests in flight may finish (default 30)")
    p.add_argument("--read-header-timeout", type=float, default=None, metavar="SECONDS",
                   help="time a client has to send the request headers (default 10: then 408)")
    p.add_argument("--idle-timeout", type=float, default=None, metavar="SECONDS",
                   help="how long an idle keep-alive connection stays open (default 60)")
    p.add_argument("--max-conns", type=int, default=None, metavar="N",
                   help="connections open at once per process; past it, stop accepting "
                        "(default: no limit)")
    p.add_argument("--certfile", default=None, help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--keyfile", default=None, help="the certificate's private key (PEM)")


def _tls_context(certfile: str | None, keyfile: str | None) -> ssl.SSLContext | None:
    if certfile is None and keyfile is None:
        return None
    if certfile is None:
        raise AppError("--keyfile needs --certfile")
    try:
        from gonet import tls as gonet_tls  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        raise AppError("TLS needs gonet.tls, which this installation does not have") from None
    try:
        # go_eof: a client hanging up without close_notify is a clean EOF, as in Go's
        # net/http (browsers and curl often do).
        ctx: ssl.SSLContext = gonet_tls.server_context(certfile, keyfile,
                                                       alpn_protocols=["http/1.1"], go_eof=True)
    except (OSError, ssl.SSLError) as e:
        raise AppError(f"--certfile {certfile}: {e}") from None
    return ctx


def _options(args: argparse.Namespace, app: WSGIApp | None, names: list[str]) -> ServeOptions:
    ips = tuple(a.strip() for a in args.forwarded_allow_ips.split(",") if a.strip())
    kwargs: dict[str, Any] = {"forwarded_allow_ips": ips}
    for opt in ("read_header_timeout", "idle_timeout", "max_conns"):
        v = getattr(args, opt)
        if v is not None:
            kwargs[opt] = v
    return ServeOptions(app=app, server_kwargs=kwargs, graceful_timeout=args.graceful_timeout,
                        access_log=args.access_log, debug_page=args.debug_page,
                        tls_context=_tls_context(args.certfile, args.keyfile), bind_names=names)


def _announce(names: list[str]) -> None:
    sys.stdout.write(f"listening on {', '.join(names)}\n")
    sys.stdout.flush()


def main(args: argparse.Namespace) -> int:
    """main runs ``serve`` with parsed ``args``; returns the exit status."""
    try:
        if args.workers < 1:
            raise AppError(f"--workers must be at least 1, got {args.workers}")
        if not args.graceful_timeout >= 0:
            raise AppError("--graceful-timeout must be a number of seconds >= 0")
        for opt in ("read_header_timeout", "idle_timeout"):
            v = getattr(args, opt)
            if v is not None and not v > 0:
                raise AppError(f"--{opt.replace('_', '-')} must be a number of seconds > 0")
        if args.max_conns is not None and args.max_conns < 1:
            raise AppError("--max-conns must be at least 1")
        app = load_app(args.app) if args.app else None
        binds = args.bind or [DEFAULT_BIND]
        reuse = args.workers if args.reuse_port and args.workers > 1 else 0
        opts = _options(args, app, [])
        bound = open_sockets(binds, reuse_port_workers=reuse)
    except AppError as e:
        sys.stderr.write(f"gonet serve: {e}\n")
        return 2
    except OSError as e:
        sys.stderr.write(f"gonet serve: listen: {e}\n")
        return 1
    names = bound.names
    if opts.tls_context is not None:
        names = [n.replace("http://", "https://", 1) for n in names]
    opts.bind_names = names
    try:
        if args.workers == 1:
            return serve_process(opts, bound.shared, ready=lambda _: _announce(names))
        master = Master(opts, bound.shared, args.workers, per_worker=bound.per_worker,
                        announce=lambda: _announce(names))
        return master.run()
    finally:
        bound.close()
