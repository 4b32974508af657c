"""Helpers of the test_http_ops_* tests: run ``python -m gonet serve`` (or gunicorn) as a real process.

:class:`ServerProcess` starts the command with stdout and stderr piped,
waits (bounded) for its ``listening on URL`` line, and on exit stops it with
SIGTERM and reaps it, so no test leaves a process behind.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

#: How long a server may take to print its first line, in seconds.
START_TIMEOUT = 30.0


def need_binary(name: str) -> str:
    """need_binary returns the path of ``name`` or skips the test saying it is missing."""
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}")
                                  else None)
    if path is None:
        pytest.skip(f"{name} is not installed (CI installs Debian's {name})")
    return path


def wait_until(cond: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """wait_until polls ``cond`` until it is truthy; fails the test naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def refuses(host: str, port: int) -> bool:
    """refuses is True when a TCP connect to host:port is refused."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


class ServerProcess:
    """ServerProcess runs a server command and knows its URL from the first stdout line."""

    def __init__(self, args: list[str], *, cwd: Path | str | None = None,
                 env: dict[str, str] | None = None, ready_marker: str = "listening on ",
                 ready_stream: str = "stdout") -> None:
        full_env = dict(os.environ)
        full_env["PYTHONUNBUFFERED"] = "1"
        if cwd is not None:
            full_env["PYTHONPATH"] = os.pathsep.join(
                [str(cwd), *filter(None, [full_env.get("PYTHONPATH")])])
        if env:
            full_env.update(env)
        self._errfile = tempfile.TemporaryFile()  # noqa: SIM115 - kept for the process's life
        self.proc = subprocess.Popen(
            args, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._errfile if ready_stream == "stdout" else subprocess.PIPE,
            start_new_session=True)
        self.returncode: int | None = None
        self.first_line = self._read_ready(ready_marker, ready_stream)
        self.url = ""
        if ready_stream == "stdout":
            self.url = self.first_line.split("listening on ", 1)[1].split(",")[0].strip()

    def _read_ready(self, marker: str, stream_name: str) -> str:
        stream = self.proc.stdout if stream_name == "stdout" else self.proc.stderr
        assert stream is not None
        fd = stream.fileno()
        buf = b""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode(errors="replace")
                if marker in text:
                    self._rest = buf
                    return text
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError(f"no {marker!r} line in {START_TIMEOUT} s: {self.stderr()}")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.wait(10)
                    raise AssertionError(f"server exited ({self.returncode}) before "
                                         f"{marker!r}: {buf.decode(errors='replace')}"
                                         f"{self.stderr()}")
                buf += chunk

    @property
    def pid(self) -> int:
        """pid is the server process's id."""
        return self.proc.pid

    @property
    def host_port(self) -> tuple[str, int]:
        """host_port is the (host, port) of :attr:`url`."""
        hostport = self.url.split("://", 1)[1].rstrip("/")
        host, port = hostport.rsplit(":", 1)
        return host.strip("[]"), int(port)

    def stderr(self) -> str:
        """stderr is what the process wrote to stderr so far."""
        self._errfile.seek(0)
        return self._errfile.read().decode(errors="replace")

    def signal(self, sig: int) -> None:
        """signal sends ``sig`` to the server process."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def wait(self, timeout: float) -> int:
        """wait reaps the process (bounded) and returns its exit status."""
        self.returncode = self.proc.wait(timeout=timeout)
        return self.returncode

    def stdout_rest(self) -> str:
        """stdout_rest is everything on stdout after the first line (call after the exit)."""
        assert self.proc.stdout is not None
        return (self._rest + self.proc.stdout.read()).decode(errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        """stop sends SIGTERM and waits for the exit; returns the status."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        """kill ends the whole process group at once (test clean-up)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=30)

    def close(self) -> None:
        """close stops the process if still running and releases its pipes."""
        if self.proc.poll() is None:
            self.kill()
        for s in (self.proc.stdout, self.proc.stderr):
            if s is not None:
                s.close()
        self._errfile.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def serve(*args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None
          ) -> ServerProcess:
    """serve starts ``python -m gonet serve ARGS`` (add ``--bind 127.0.0.1:0`` yourself)."""
    return ServerProcess([sys.executable, "-m", "gonet", "serve", *args], cwd=cwd, env=env)


def descendants(pid: int) -> list[int]:
    """descendants lists the child processes of ``pid`` (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def write_app(directory: Path, name: str, source: str) -> str:
    """write_app writes a module ``name`` into ``directory``; returns the name."""
    (directory / f"{name}.py").write_text(source)
    return name


__all__ = ["ServerProcess", "descendants", "need_binary", "refuses", "serve", "wait_until",
           "write_app"]
