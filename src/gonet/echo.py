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

Signals are not turned into ``KeyboardInterrupt``: raised inside a goroutine
it would only end that goroutine. The handler sets a flag instead, and a
watcher goroutine that checks it every :data:`SIGNAL_POLL_INTERVAL` seconds
closes the listener, which ends ``serve`` and so the main goroutine.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gonet

__all__ = ["DEFAULT_ADDRESS", "EchoServer", "main", "read_rss_kb"]

#: The address ``python -m gonet echo`` listens on without an argument (loopback only).
DEFAULT_ADDRESS = "127.0.0.1:7007"
#: How often the watcher goroutine looks at the signal flag, in seconds.
SIGNAL_POLL_INTERVAL = 0.1
#: The largest read per call; the kernel returns what is there, up to this.
READ_SIZE = 65536


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
    old: dict[int, Any] = {}
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
