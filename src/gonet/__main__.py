"""__main__: the ``python -m gonet`` command line (``demo``, ``echo``, ``serve``, ``bench``).

- ``python -m gonet demo [--conns 10000] [--seconds 5] [--size 64] [--addr 127.0.0.1:0]``:
  an echo server in a child process, N client goroutines here; see :mod:`gonet.demo`.
- ``python -m gonet echo [ADDRESS]``: a plain echo server; see :mod:`gonet.echo`.
- ``python -m gonet serve [APP] [--bind ADDRESS] [--workers N] ...``: serve a WSGI
  app (the built-in page without one) with :mod:`gonet.http`; see :mod:`gonet.http.cli`.
- ``python -m gonet bench [ARGS...]``: the benchmark suite, ``bench/run.py`` of
  the source checkout, loaded by path; its ``main(argv)`` gets ``ARGS``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import gonet

__all__ = ["add_demo_arguments", "bench_script", "build_parser", "main", "run_bench"]


def bench_script() -> Path:
    """bench_script is the path of ``bench/run.py`` in the checkout this package lives in."""
    return Path(gonet.__file__).resolve().parents[2] / "bench" / "run.py"


def run_bench(argv: list[str]) -> int:
    """run_bench loads ``bench/run.py`` by path and returns ``main(argv)``.

    Returns 2 with a message on stderr when the script is missing (an installed
    package has no ``bench/`` beside it) or has no ``main``.
    """
    path = bench_script()
    if not path.is_file():
        sys.stderr.write(f"gonet bench: {path} not found; the benchmarks live in the source "
                         "checkout (bench/run.py), run them from a clone of the repository\n")
        return 2
    spec = importlib.util.spec_from_file_location("gonet_bench_run", path)
    if spec is None or spec.loader is None:
        sys.stderr.write(f"gonet bench: cannot load {path}\n")
        return 2
    module = importlib.util.module_from_spec(spec)
    # dataclasses and pickling look the module up by name while it executes.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        bench_main = getattr(module, "main", None)
        if not callable(bench_main):
            sys.stderr.write(f"gonet bench: {path} has no main(argv)\n")
            return 2
        result = bench_main(argv)
    finally:
        sys.modules.pop(spec.name, None)
    return result if isinstance(result, int) else 0


def add_demo_arguments(p: argparse.ArgumentParser) -> None:
    """add_demo_arguments adds the options of ``demo`` to ``p`` (defaults: :class:`DemoConfig`)."""
    from .demo import DemoConfig

    d = DemoConfig()
    p.add_argument("--conns", type=int, default=d.conns,
                   help=f"connections to open and hold (default {d.conns:,})")
    p.add_argument("--seconds", type=float, default=d.seconds,
                   help=f"seconds of request/response traffic (default {d.seconds:g})")
    p.add_argument("--size", type=int, default=d.size,
                   help=f"message size in bytes (default {d.size})")
    p.add_argument("--addr", default=d.addr,
                   help=f"address the echo server listens on (default {d.addr})")
    p.add_argument("--dial-concurrency", type=int, default=d.dial_concurrency,
                   help=f"dials in flight at once (default {d.dial_concurrency})")
    p.add_argument("--connect-timeout", type=float, default=d.connect_timeout,
                   help=f"give up connecting after this many seconds (default "
                        f"{d.connect_timeout:g})")


def build_parser() -> argparse.ArgumentParser:
    """build_parser returns the argument parser of ``python -m gonet``."""
    from . import demo, echo

    parser = argparse.ArgumentParser(
        prog="python -m gonet",
        description="gonet: Go's network I/O model in Python (goroutines on greenlets "
                    "over an edge-triggered epoll netpoller).",
    )
    parser.add_argument("--version", action="version", version=f"gonet {gonet.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_demo_arguments(sub.add_parser(
        "demo", help="hold N connections to a gonet echo server and measure round trips",
        description=demo.__doc__.split("\n\n")[0] if demo.__doc__ else None))
    p = sub.add_parser("echo", help="run a plain echo server",
                       description="Run a gonet echo server; Ctrl-C stops it.")
    p.add_argument("address", nargs="?", default=echo.DEFAULT_ADDRESS,
                   help=f"HOST:PORT to listen on, port 0 for any (default {echo.DEFAULT_ADDRESS})")
    p.add_argument("--control", action="store_true",
                   help="also read commands on stdin (stats, quit) and answer JSON lines on "
                        "stdout; exit at EOF (used by the demo)")
    from .http import cli as serve_cli

    serve_cli.add_arguments(sub.add_parser(
        "serve", help="serve a WSGI app (module:app) with gonet.http; the built-in page without one",
        description="Serve a WSGI app with gonet.http, a goroutine per connection. Without APP "
                    "it serves gonet's built-in page. SIGTERM/SIGINT shut down gracefully; a "
                    "second one stops at once."))
    sub.add_parser("bench", add_help=False,
                   help="run the benchmark suite (bench/run.py); arguments go to it")
    return parser


def main(argv: list[str] | None = None) -> int:
    """main runs ``python -m gonet`` with ``argv`` (default ``sys.argv[1:]``); returns the status.

    Exits with argparse's status 2 and a usage message for an unknown command.
    """
    args_in = sys.argv[1:] if argv is None else list(argv)
    if args_in and args_in[0] == "bench":
        # bench/run.py parses its own options, --help included.
        return run_bench(args_in[1:])
    args = build_parser().parse_args(args_in)
    if args.command == "echo":
        from . import echo

        return echo.main(args.address, control=args.control)
    if args.command == "serve":
        from .http import cli as serve_cli

        return serve_cli.main(args)
    if args.command == "demo":
        from . import demo

        return demo.main(demo.DemoConfig(
            conns=args.conns, seconds=args.seconds, size=args.size, addr=args.addr,
            dial_concurrency=args.dial_concurrency, connect_timeout=args.connect_timeout))
    return run_bench([])  # "bench" after options is still the benchmark


if __name__ == "__main__":
    raise SystemExit(main())
