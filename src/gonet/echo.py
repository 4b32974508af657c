"""echo: a plain gonet echo server, ``python -m gonet echo [ADDRESS]``.

One goroutine per connection runs ``while data := conn.read(): conn.write(data)``.
The first line printed on stdout is always ``listening on HOST:PORT`` (with the
real port when ADDRESS asks for port 0), so a script or a test can wait for it.
Ctrl-C (``SIGINT``) or ``SIGTERM`` closes the listener and exits with status 0.

With ``--control`` the server is also driven over stdin/stdout, one line each
way; this is how ``python -m gonet demo`` runs it in a child process:

- ``stats`` → one JSON line: ``pid``, ``conns`` (connections open now),
  ``accepted`` (total), ``rss_kb`` (``VmRSS`` of ``/proc/self/status``) and
  the counters of :func:`gonet.stats` (``goroutines``, ``netpoll_fds`` ...);
- ``quit``, or EOF on stdin (the parent went away) → the server exits.

Signals are not left to Python's default ``KeyboardInterrupt``: wherever it
is raised (in a goroutine, where gonet treats it like a Go panic, or in the
scheduler), it ends ``gonet.run()`` with that exception: a traceback, not a clean
stop. The handler sets a flag instead, and a watcher
goroutine that checks it every :data:`SIGNAL_POLL_INTERVAL` seconds closes the
listener, which ends ``serve`` and so the main goroutine, and ``main`` returns 0.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gonet

__all__ = ["DEFAULT_ADDRESS", "EchoProcess", "EchoServer", "main", "read_rss_kb"]

#: The address ``python -m gonet echo`` listens on without an argument (loopback only).
DEFAULT_ADDRESS = "127.0.0.1:7007"
#: How often the watcher goroutine looks at the signal flag, in seconds.
SIGNAL_POLL_INTERVAL = 0.1
#: The largest read per call; the kernel returns what is there, up to this.
READ_SIZE = 65536
#: How long :class:`EchoProcess` waits for one answer of the child, in seconds.
CONTROL_TIMEOUT = 10.0


def read_rss_kb(pid: int | str = "self") -> int:
    """read_rss_kb returns the resident set size (``VmRSS``) of process ``pid`` in KiB.

    Reads ``/proc/PID/status``. Raises ``OSError`` if the process is gone and
    ``ValueError`` if the file has no ``VmRSS`` line (a zombie).
    """
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise ValueError(f"/proc/{pid}/status has no VmRSS line")


class EchoServer:
    """EchoServer is the echo server's state: its listener, counters and stop flag.

    Create it inside a gonet runtime; :meth:`serve` parks until the listener
    is closed by :meth:`stop`, a signal, or the control channel.
    """

    __slots__ = ("accepted", "conns", "control", "listener", "stopping")

    def __init__(self, address: str, *, control: bool = False) -> None:
        self.listener = gonet.listen("tcp", address)
        self.control = control
        self.conns = 0
        self.accepted = 0
        self.stopping = False

    def handle(self, conn: gonet.Conn) -> None:
        """handle echoes one connection until EOF or an error; ``serve`` closes the conn."""
        self.conns += 1
        self.accepted += 1
        try:
            while data := conn.read(READ_SIZE):
                conn.write(data)
        except OSError:
            pass  # reset by the peer, closed at shutdown: the connection is over either way
        finally:
            self.conns -= 1

    def stop(self) -> None:
        """stop closes the listener, which makes :meth:`serve` return; idempotent."""
        self.stopping = True
        self.listener.close()

    def stats(self) -> dict[str, Any]:
        """stats returns what the control channel's ``stats`` command answers."""
        out: dict[str, Any] = {
            "pid": os.getpid(),
            "conns": self.conns,
            "accepted": self.accepted,
            "rss_kb": read_rss_kb(),
        }
        out.update(gonet.stats())
        return out

    def serve(self) -> None:
        """serve runs the accept loop, the signal watcher and the control channel until stopped."""
        gonet.go(self._watch_signals)
        if self.control:
            gonet.go(self._control_loop)
        self.listener.serve(self.handle)

    def _watch_signals(self) -> None:
        while not (self.stopping or _signalled):
            gonet.sleep(SIGNAL_POLL_INTERVAL)
        self.stop()

    def _control_loop(self) -> None:
        pending = b""
        try:
            while not self.stopping:
                chunk = gonet.blocking(os.read, 0, 4096)
                if not chunk:
                    break  # EOF: the parent closed our stdin or went away
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    cmd = line.decode("ascii", "replace").strip()
                    if cmd == "quit":
                        return
                    if cmd == "stats":
                        reply = json.dumps(self.stats())
                    else:
                        reply = json.dumps({"error": f"unknown command {cmd!r}"})
                    _print(reply)
        finally:
            self.stop()


_signalled = False


def _on_signal(signum: int, frame: Any) -> None:
    global _signalled
    _signalled = True


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """stop_on_signals turns SIGINT and SIGTERM into the stop flag the watcher goroutine reads.

    The previous handlers are restored on exit. Only in the main thread
    (elsewhere ``signal.signal`` raises ``ValueError``; then nothing changes).
    """
    global _signalled
    _signalled = False
    old: dict[signal.Signals, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                old[sig] = signal.signal(sig, _on_signal)
            except ValueError:
                break
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _main(address: str, control: bool) -> int:
    try:
        server = EchoServer(address, control=control)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"echo: {e}\n")
        return 1
    _print(f"listening on {server.listener.addr}")
    server.serve()
    if not control:
        sys.stderr.write("echo: shutting down\n")
    return 0


def main(address: str = DEFAULT_ADDRESS, *, control: bool = False) -> int:
    """main runs the echo server on ``address`` until a signal or ``quit``; returns the exit status.

    Prints ``listening on HOST:PORT`` first. Returns 1 (with a message on
    stderr) if the address cannot be listened on.
    """
    with stop_on_signals():
        result: int = gonet.run(_main, address, control)
    return result


# --- the parent's side of --control ---------------------------------------------------


class EchoProcess:
    """EchoProcess starts ``python -m gonet echo ADDRESS --control`` and drives its control channel.

    The child runs in its own session (Ctrl-C reaches only the parent, which
    stops it) and exits by itself at EOF on its stdin. Not thread-safe: one
    request at a time (the demo calls it from one goroutine via :func:`gonet.blocking`).
    """

    def __init__(self, address: str) -> None:
        env = dict(os.environ)
        # Run the same gonet as this process, wherever the child's cwd puts sys.path.
        src = str(Path(gonet.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gonet", "echo", address, "--control"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            start_new_session=True,
        )
        self.pid = self.proc.pid
        self._buf = b""

    def readline(self, timeout: float) -> str:
        """readline returns the child's next stdout line, waiting at most ``timeout`` seconds.

        Raises ``TimeoutError`` when the time passes and ``EOFError`` when the
        child closed its stdout (it exited).
        """
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"echo server (pid {self.pid}) did not answer in {timeout:g} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError(f"echo server (pid {self.pid}) exited "
                               f"(status {self.proc.poll()})")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode("utf-8", "replace").strip()

    def wait_listening(self, timeout: float) -> str:
        """wait_listening returns the address from the child's ``listening on ADDR`` line."""
        line = self.readline(timeout)
        prefix = "listening on "
        if not line.startswith(prefix):
            raise RuntimeError(f"echo server said {line!r}, not {prefix!r}...")
        return line[len(prefix):]

    def request(self, command: str, timeout: float = CONTROL_TIMEOUT) -> dict[str, Any]:
        """request sends ``command`` and returns the child's JSON answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode("ascii") + b"\n")
        self.proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self.readline(timeout))
        if "error" in reply:
            raise RuntimeError(f"echo server: {reply['error']}")
        return reply

    def rss_kb(self) -> int:
        """rss_kb is the child's ``VmRSS`` in KiB, read from ``/proc/PID/status``."""
        return read_rss_kb(self.pid)

    def stop(self, timeout: float = 10.0) -> int | None:
        """stop ends the child: ``quit`` and EOF, then ``SIGTERM``, then ``SIGKILL``; idempotent.

        Each step waits at most ``timeout`` seconds. Returns the exit status.
        """
        proc = self.proc
        if proc.poll() is None and proc.stdin is not None and not proc.stdin.closed:
            try:
                proc.stdin.write(b"quit\n")
                proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass
        for step in (None, signal.SIGTERM, signal.SIGKILL):
            if step is not None and proc.poll() is None:
                try:
                    os.kill(proc.pid, step)
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except BrokenPipeError:
                    pass
        return proc.poll()
