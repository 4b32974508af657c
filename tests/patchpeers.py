"""Shared helpers of the gonet.patch tests: the ``patched`` fixture and throw-away real peers.

Every peer is started by the test, on loopback or a unix socket under a short
``/tmp`` directory, and stopped afterwards. Readiness is read from the peer's
own output (or ``pg_ctl -w``), never guessed with a sleep.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import gonet


def _pg_bin() -> Path:
    """The newest Debian PostgreSQL's bin directory (15 on bookworm), or a missing path."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


@pytest.fixture
def patched() -> Iterator[None]:
    """patched applies gonet.patch() for one test and undoes it afterwards."""
    gonet.patch()
    try:
        yield
    finally:
        gonet.unpatch()


def free_port() -> int:
    """free_port returns a loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 30.0) -> str:
    """wait_for_line reads ``proc``'s stdout until a line contains ``needle`` (or fails).

    Reads the raw descriptor (``os.read`` after ``select``): a buffered ``readline``
    may pull several lines into the file object's buffer, where ``select`` cannot
    see them, and then wait for output that never comes.
    """
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    seen = b""
    while True:
        lines = seen.split(b"\n")
        for line in lines[:-1]:
            if needle.encode() in line:
                return line.decode(errors="replace") + "\n"
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            raise RuntimeError(f"peer not ready ({needle!r}); output so far:\n"
                               + seen.decode(errors="replace"))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"peer closed its output before {needle!r}:\n"
                                   + seen.decode(errors="replace"))
            seen += chunk


def stop(proc: subprocess.Popen[str]) -> None:
    """stop terminates ``proc`` (then kills it) and reaps it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    if proc.stdout is not None:
        proc.stdout.close()


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[int, str]]:
    """redis_server runs a throw-away redis-server; yields (tcp port, unix socket path)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (CI installs Debian's redis-server)")
    d = tempfile.mkdtemp(prefix="grd", dir="/tmp")
    path = os.path.join(d, "r.sock")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--unixsocket", path,
         "--save", "", "--appendonly", "no", "--dir", d, "--logfile", "", "--maxclients", "2000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_line(proc, "Ready to accept connections")
        yield port, path
    finally:
        stop(proc)
        shutil.rmtree(d, ignore_errors=True)


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """postgres_server runs a throw-away PostgreSQL cluster; yields its socket directory."""
    initdb = PG_BIN / "initdb"
    if not initdb.exists():
        pytest.skip(f"PostgreSQL is not installed ({initdb} missing; CI installs postgresql)")
    d = tempfile.mkdtemp(prefix="gpg", dir="/tmp")  # short: unix socket paths are limited
    data = os.path.join(d, "data")
    if os.geteuid() == 0:
        shutil.chown(d, "postgres", "postgres")
    try:
        subprocess.run(_as_postgres([str(initdb), "-D", data, "-A", "trust", "-U", "postgres",
                                     "--no-sync", "-E", "UTF8"]),
                       check=True, capture_output=True, timeout=120)
        opts = f"-k {d} -c listen_addresses='' -c max_connections=200 -F"
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", data, "-o", opts, "-w",
                                     "-l", os.path.join(d, "log"), "start"]),
                       check=True, capture_output=True, timeout=120)
        try:
            yield d
        finally:
            subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", data, "-m", "immediate",
                                         "-w", "stop"]), capture_output=True, timeout=60)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@contextlib.contextmanager
def http_server(directory: str) -> Iterator[int]:
    """http_server runs ``python -m http.server`` serving ``directory``; yields its port."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", directory],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_line(proc, "Serving HTTP")
        yield port
    finally:
        stop(proc)
