"""Helpers shared by the HTTP peer servers: arguments, a listening socket, READY."""

from __future__ import annotations

import argparse
import socket

from _common import raise_nofile, somaxconn


def parse_args(description: str, argv: list[str], **choices: tuple[str, ...]) -> argparse.Namespace:
    """parse_args: --host, --port, --app hello|flask, plus one --NAME option per `choices`."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--app", default="hello", choices=("hello", "flask"))
    for name, values in choices.items():
        p.add_argument(f"--{name}", default=values[0], choices=values)
    return p.parse_args(argv)


def listen_socket(host: str, port: int) -> socket.socket:
    """listen_socket: a TCP listener with Go's backlog (somaxconn), TCP_NODELAY inherited.

    Linux copies TCP_NODELAY from the listener to the sockets it accepts; servers that
    also set it per connection (gevent below) do so explicitly anyway."""
    raise_nofile()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(somaxconn())
    return sock


def free_port(host: str) -> int:
    """free_port: a port the kernel just handed out (for servers that will not take a socket)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
