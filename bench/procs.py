"""procs: reading the kernel's accounting in /proc, and handling the child processes.

/proc: a process's CPU ticks (all threads), RSS and descriptor count; per-CPU
busy time from ``/proc/stat`` (what other processes took); the descriptor
limit; machine facts for the results. Children: :class:`LineReader` reads a
child's stdout line by line with a deadline, :func:`stop_process` ends one.
"""

import contextlib
import os
import platform
import resource
import selectors
import signal
import subprocess
import time
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------- /proc


def proc_cpu_ticks(pid: int) -> tuple[int, int]:
    """(utime, stime) in clock ticks for the whole process (all threads)."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]), int(fields[12])


def cpu_stat() -> dict[str, list[int]]:
    """Per-CPU jiffies from /proc/stat: user nice system idle iowait irq softirq steal."""
    out: dict[str, list[int]] = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3:4].isdigit():
                name, *vals = line.split()
                out[name] = [int(v) for v in vals[:8]]
    return out


def other_load(a: dict[str, list[int]], b: dict[str, list[int]], cpu: str, own_ticks: float,
               wall: float) -> float:
    """% of `cpu` that went to anything but our process between two samples.

    Busy = everything but idle and iowait. The softirq time of loopback TCP is charged
    to the process that was running (it is in its stime), so it counts as ours."""
    if f"cpu{cpu}" not in a or f"cpu{cpu}" not in b:
        return 0.0
    d = [y - x for x, y in zip(a[f"cpu{cpu}"], b[f"cpu{cpu}"], strict=True)]
    busy = sum(d) - d[3] - d[4]
    return max(0.0, busy - own_ticks) / (wall * CLK_TCK) * 100


def proc_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def nofile_limits() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    inf = resource.RLIM_INFINITY
    return (soft if soft != inf else 1 << 20), (hard if hard != inf else 1 << 20)


def read_int(path: str, default: int = 0) -> int:
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


# --------------------------------------------------------------------------- child processes


class LineReader:
    """Reads lines from a child's pipe with a deadline (no thread)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.fd = proc.stdout.fileno()
        self.buf = b""
        self.eof = False
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.fd, selectors.EVENT_READ)

    def readline(self, deadline: float) -> str | None:
        """Next line, or None at EOF or when the deadline passes."""
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl], self.buf[nl + 1 :]
                return line.decode(errors="replace")
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(min(left, 1.0)):
                if time.monotonic() >= deadline:
                    return None
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
            self.buf += chunk

    def close(self) -> None:
        self.sel.close()


def stop_process(proc: subprocess.Popen[Any], grace: float = 3.0, close: bool = True) -> None:
    """Stop a child we started: SIGTERM, then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(10)
    if not close:
        return
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


