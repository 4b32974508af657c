"""gonet.dump(summary=...): Go's debug=1 goroutine profile, grouped by wait reason and stack."""

from __future__ import annotations

import io
import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import time

import gonet
from gonet._runtime.debug import SUMMARY_THRESHOLD
from gonet.testing import wait_all_blocked

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def parked_on_a_channel(ch: gonet.Chan[None]) -> None:
    ch.recv_ok()


def waiting_for_the_lock(mu: gonet.Mutex) -> None:
    with mu:
        pass


def _dump(summary: bool | None) -> str:
    buf = io.StringIO()
    gonet.dump(buf, summary=summary)
    return buf.getvalue()


def _groups(text: str) -> dict[str, int]:
    """{"<state> <innermost function>": count} from a summary."""
    out: dict[str, int] = {}
    for m in re.finditer(r"^(\d+) @ \[([^\]]*)\]\n#\t([^\t\n]+)", text, re.M):
        out[f"{m.group(2)} {m.group(3)}"] = int(m.group(1))
    return out


def test_summary_groups_goroutines_by_wait_reason_and_stack() -> None:
    def main() -> str:
        ch: gonet.Chan[None] = gonet.Chan()
        mu = gonet.Mutex()
        mu.lock()
        gs = [gonet.go(parked_on_a_channel, ch) for _ in range(50)]
        gs += [gonet.go(waiting_for_the_lock, mu) for _ in range(20)]
        wait_all_blocked()
        text = _dump(summary=True)
        ch.close()
        mu.unlock()
        for g in gs:
            g.join()
        return text

    text = gonet.run(main)
    assert text.startswith("goroutine profile: total 71\n")
    groups = _groups(text)
    assert groups["chan receive parked_on_a_channel"] == 50
    assert groups["semacquire waiting_for_the_lock"] == 20
    assert groups["running _dump"] == 1  # the caller of dump(), from its own frame
    # Most frequent first; every frame line names a function and its file:line.
    assert text.index("50 @ [chan receive]") < text.index("20 @ [semacquire]")
    assert re.search(r"^#\tparked_on_a_channel\t.*test_dump_summary\.py:\d+$", text, re.M)
    assert "/gonet/_runtime/" not in text


def test_summary_is_chosen_above_the_threshold_unless_told_otherwise() -> None:
    def main() -> tuple[str, str, str]:
        ch: gonet.Chan[None] = gonet.Chan()
        gs = [gonet.go(parked_on_a_channel, ch) for _ in range(SUMMARY_THRESHOLD + 1)]
        unstarted = gonet.go(print)  # created, not yet started: its own group
        auto = _dump(summary=None)
        wait_all_blocked()
        forced_full = _dump(summary=False)
        ch.close()
        for g in gs:
            g.join()
        unstarted.join()
        small = _dump(summary=None)
        return auto, forced_full, small

    auto, forced_full, small = gonet.run(main)
    assert auto.startswith(f"goroutine profile: total {SUMMARY_THRESHOLD + 3}\n")
    groups = _groups(auto)  # none has run yet
    assert groups["runnable created, not yet started: parked_on_a_channel"] == SUMMARY_THRESHOLD + 1
    assert groups["runnable created, not yet started: print"] == 1
    assert forced_full.count("goroutine ") >= SUMMARY_THRESHOLD + 1
    assert f"goroutine {SUMMARY_THRESHOLD + 1} [chan receive" in forced_full
    assert small.startswith("goroutine 1 [running]:")  # back to the full form


def _read_stderr_until(p: subprocess.Popen[str], pattern: str, timeout: float = 60) -> str:
    assert p.stderr is not None
    fd = p.stderr.fileno()
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
        if re.search(pattern, data.decode(errors="replace"), re.M):
            return data.decode(errors="replace")
    raise AssertionError(f"{pattern!r} not seen within {timeout}s; got:\n{data.decode()}")


def test_sigquit_with_many_goroutines_writes_the_summary() -> None:
    script = textwrap.dedent(f"""
        import sys
        import gonet

        def parked(ch):
            ch.recv_ok()

        def main():
            ch = gonet.Chan()
            gs = [gonet.go(parked, ch) for _ in range({SUMMARY_THRESHOLD + 100})]
            gonet.sleep(0)
            print("READY", flush=True)
            gonet.blocking(sys.stdin.readline)
            ch.close()
            for g in gs:
                g.join()

        gonet.run(main)
    """)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("GONET_SYSMON", None)
    p = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "READY"
        os.kill(p.pid, signal.SIGQUIT)
        err = _read_stderr_until(p, rf"^{SUMMARY_THRESHOLD + 100} @ \[chan receive\]\n#\tparked\t")
        _, rest = p.communicate("bye\n", timeout=60)  # the process goes on, and ends cleanly
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, rest
    assert f"goroutine profile: total {SUMMARY_THRESHOLD + 101}" in err
