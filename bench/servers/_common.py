"""Helpers shared by the peer echo servers (argument parsing, fd limit, READY line)."""

from __future__ import annotations

import argparse
import resource


def parse_args(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    return parser.parse_args(argv)


def raise_nofile() -> None:
    """Raise the soft RLIMIT_NOFILE to the hard limit, as Go (>= 1.19) and gonet do."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def somaxconn() -> int:
    """The listen backlog Go uses: net.core.somaxconn."""
    try:
        with open("/proc/sys/net/core/somaxconn") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 4096


def ready(port: int) -> None:
    print(f"READY {port}", flush=True)
