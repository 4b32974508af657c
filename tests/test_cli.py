"""The ``python -m gonet`` command line: ``--help``, ``echo``, ``demo`` and ``bench``.

The commands run as child processes of ``sys.executable``; every wait on them
is for an output line or an exit, bounded by a timeout, never a sleep.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import gonet
import gonet.__main__ as cli

pytestmark = pytest.mark.timeout(60)

#: How long any one child process may take to print a line or exit.
WAIT = 20.0


def child_env() -> dict[str, str]:
    """child_env is the environment that makes a child import this very copy of gonet."""
    env = dict(os.environ)
    src = str(Path(gonet.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


def run_gonet(*args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
    """run_gonet runs ``python -m gonet ARGS`` to completion and returns its outcome."""
    return subprocess.run([sys.executable, "-m", "gonet", *args], capture_output=True,
                          text=True, timeout=timeout, env=child_env(), check=False)


class LineReader:
    """LineReader reads lines from a child's stdout pipe, each wait bounded by a timeout."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.buf = b""

    def readline(self, timeout: float = WAIT) -> str:
        """readline returns the next line without its newline.

        Raises ``TimeoutError`` after ``timeout`` seconds and ``EOFError`` at EOF.
        """
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no output line within {timeout} s")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise EOFError("the child closed its stdout")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


@contextmanager
def echo_server(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], LineReader, str, int]]:
    """echo_server starts ``python -m gonet echo 127.0.0.1:0 ARGS``; yields it and its address.

    Waits for the ``listening on HOST:PORT`` line. The child is killed on the
    way out if the test left it running.
    """
    with subprocess.Popen([sys.executable, "-m", "gonet", "echo", "127.0.0.1:0", *args],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=child_env()) as proc:
        try:
            reader = LineReader(proc)
            line = reader.readline()
            m = re.fullmatch(r"listening on (127\.0\.0\.1):(\d+)", line)
            assert m, f"unexpected first line {line!r}"
            yield proc, reader, m.group(1), int(m.group(2))
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(WAIT)


def echo_round_trip(host: str, port: int, payload: bytes) -> bytes:
    """echo_round_trip sends ``payload`` over a plain socket and returns what came back."""
    with socket.create_connection((host, port), timeout=WAIT) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)  # the server echoes to EOF, then closes
        parts = []
        while chunk := s.recv(65536):
            parts.append(chunk)
    return b"".join(parts)


# --- the command line -------------------------------------------------------------------


def test_help_lists_the_commands() -> None:
    """test_help_lists_the_commands: ``--help`` exits 0 and names demo, echo and bench."""
    r = run_gonet("--help")
    assert r.returncode == 0, r.stderr
    for command in ("demo", "echo", "bench"):
        assert command in r.stdout


def test_demo_help() -> None:
    """test_demo_help: ``demo --help`` documents the demo's options."""
    r = run_gonet("demo", "--help")
    assert r.returncode == 0, r.stderr
    for option in ("--conns", "--seconds", "--size", "--addr"):
        assert option in r.stdout


@pytest.mark.parametrize("args", [["frobnicate"], []])
def test_unknown_or_missing_command_fails(args: list[str]) -> None:
    """test_unknown_or_missing_command_fails: exit status 2 with a usage message."""
    r = run_gonet(*args)
    assert r.returncode == 2
    assert "usage:" in r.stderr
    if args:
        assert "invalid choice: 'frobnicate'" in r.stderr


# --- echo -------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_echo_server_echoes_and_exits_on_signal(sig: signal.Signals) -> None:
    """test_echo_server_echoes_and_exits_on_signal: bytes come back; the signal exits 0."""
    with echo_server() as (proc, _, host, port):
        assert echo_round_trip(host, port, b"hello, gonet") == b"hello, gonet"
        big = bytes(range(256)) * 4096  # 1 MiB: many reads and parked writes on the server
        assert echo_round_trip(host, port, big) == big
        os.kill(proc.pid, sig)
        assert proc.wait(WAIT) == 0
        assert proc.stderr is not None
        assert b"Traceback" not in proc.stderr.read()


def test_echo_server_closes_conns_at_exit() -> None:
    """test_echo_server_closes_conns_at_exit: an open client reads EOF once the server stops."""
    with echo_server() as (proc, _, host, port), \
            socket.create_connection((host, port), timeout=WAIT) as s:
        s.sendall(b"ping")
        assert s.recv(16) == b"ping"
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(WAIT) == 0
        assert s.recv(16) == b""


def test_echo_control_channel() -> None:
    """test_echo_control_channel: ``stats`` answers JSON; EOF on stdin stops the server."""
    with echo_server("--control") as (proc, reader, host, port), \
            socket.create_connection((host, port), timeout=WAIT) as s:
        s.sendall(b"x")
        assert s.recv(1) == b"x"  # accepted and served: the handler is counted
        assert proc.stdin is not None
        proc.stdin.write(b"stats\n")
        proc.stdin.flush()
        stats = json.loads(reader.readline())
        assert stats["pid"] == proc.pid
        assert stats["conns"] == 1
        assert stats["accepted"] == 1
        assert stats["rss_kb"] > 0
        assert stats["goroutines"] >= 2  # main and the connection's handler at least
        proc.stdin.write(b"bogus\n")
        proc.stdin.flush()
        assert "error" in json.loads(reader.readline())
        proc.stdin.close()
        assert proc.wait(WAIT) == 0


def test_echo_process_stops_the_child() -> None:
    """test_echo_process_stops_the_child: the demo's handle on the server starts, asks, stops."""
    from gonet.echo import EchoProcess

    server = EchoProcess("127.0.0.1:0")
    try:
        host, _, port = server.wait_listening(WAIT).rpartition(":")
        assert echo_round_trip(host, int(port), b"abc") == b"abc"
        stats = server.request("stats")
        assert stats["pid"] == server.pid
        assert server.rss_kb() > 0
    finally:
        assert server.stop() == 0
    assert server.stop() == 0  # idempotent


def test_echo_bad_address_fails() -> None:
    """test_echo_bad_address_fails: a malformed address exits 1, naming the problem."""
    r = run_gonet("echo", "no-port-here")
    assert r.returncode == 1
    assert "missing port" in r.stderr


# --- demo -------------------------------------------------------------------------------


def test_demo_small() -> None:
    """test_demo_small: 200 connections for 1 s; all held and the results table printed."""
    r = run_gonet("demo", "--conns", "200", "--seconds", "1", timeout=50)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert re.search(r"connections held\s+200 of 200", out), out
    m = re.search(r"round trips per second\s+([\d,]+)", out)
    assert m and int(m.group(1).replace(",", "")) > 0, out
    m = re.search(r"latency p50 / p99\s+([\d.]+) ms / ([\d.]+) ms", out)
    assert m and 0 < float(m.group(1)) <= float(m.group(2)), out
    assert re.search(r"server memory per conn\s+-?[\d.]+ KiB", out), out
    assert re.search(r"server goroutines\s+20\d\b", out), out  # 200 handlers + a few
    assert "connecting: 200/200 connected" in r.stderr  # not a TTY: plain progress lines


def test_demo_fails_when_connections_are_not_held() -> None:
    """test_demo_fails_when_connections_are_not_held: held < asked exits 1 and says so."""
    r = run_gonet("demo", "--conns", "20", "--seconds", "1", "--connect-timeout", "1e-9")
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"connections held\s+0 of 20", r.stdout), r.stdout
    assert "FAILED" in r.stderr


@pytest.mark.parametrize("args", [["--conns", "0"], ["--seconds", "-1"],
                                  ["--conns", "1000000"]])
def test_demo_rejects_impossible_arguments(args: list[str]) -> None:
    """test_demo_rejects_impossible_arguments: exit 2 with a message, before starting anything."""
    r = run_gonet("demo", *args)
    assert r.returncode == 2
    assert r.stderr.startswith("gonet demo:")


# --- bench ------------------------------------------------------------------------------


def test_bench_script_path() -> None:
    """test_bench_script_path: ``bench`` loads ``bench/run.py`` of this checkout."""
    assert cli.bench_script() == Path(gonet.__file__).resolve().parents[2] / "bench" / "run.py"


def test_bench_calls_main_with_the_arguments(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    """test_bench_calls_main_with_the_arguments: ``bench ARGS`` returns ``main(ARGS)``."""
    script = tmp_path / "run.py"
    script.write_text("def main(argv):\n    return 40 + len(argv) if argv == ['--quick', '-x']"
                      " else 1\n")
    monkeypatch.setattr(cli, "bench_script", lambda: script)
    assert cli.main(["bench", "--quick", "-x"]) == 42
    assert "gonet_bench_run" not in sys.modules


def test_bench_missing_script(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    """test_bench_missing_script: without ``bench/run.py`` it exits 2 with a clear message."""
    missing = tmp_path / "bench" / "run.py"
    monkeypatch.setattr(cli, "bench_script", lambda: missing)
    assert cli.main(["bench"]) == 2
    assert f"{missing} not found" in capsys.readouterr().err
