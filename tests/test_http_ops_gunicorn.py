"""``gunicorn -k gonet.gunicorn.Worker``: a real gunicorn master with gonet workers.

Serving; ``--max-requests`` (the worker answers exactly N, then gunicorn
replaces it); ``--timeout`` (a worker whose thread is stuck is killed and
replaced, while a request parked longer than the timeout is not); ``SIGHUP``
graceful reload (new workers serve, the old one finishes its request in
flight); ``SIGTERM`` graceful stop (the request in flight completes, exit 0).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from http_ops_support import wait_until, write_app

pytest.importorskip("gunicorn", reason="gunicorn is in the test extra")

APP = '''
import os, time, gonet

def app(environ, start_response):
    path, q = environ["PATH_INFO"], environ["QUERY_STRING"]
    if path == "/slow":
        open(os.path.join(q, "started"), "w").close()
        while not os.path.exists(os.path.join(q, "release")):
            gonet.sleep(0.01)
        body = b"finished %d" % os.getpid()
    elif path == "/park":
        gonet.sleep(float(q))          # parked: other requests and the heartbeat go on
        body = b"parked %d" % os.getpid()
    elif path == "/block":
        time.sleep(float(q))           # blocks the worker's only thread: the heartbeat stops
        body = b"blocked"
    else:
        body = b"pid=%d" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


class Gunicorn:
    """A gunicorn master started with the gonet worker class; its log goes to a file."""

    def __init__(self, d: Path, *args: str) -> None:
        write_app(d, "gapp", APP)
        self.log = d / "gunicorn.log"
        env = dict(os.environ, PYTHONPATH=str(d))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gonet.gunicorn.Worker", "-b", "127.0.0.1:0",
             "--error-logfile", str(self.log), "--log-level", "info", *args, "gapp:app"],
            cwd=d, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        m = wait_until(lambda: re.search(r"Listening at: (http://\S+)", self.text()), 30,
                       f"gunicorn to listen:\n{self.text()}")
        self.url = m[1]
        wait_until(lambda: "Booting worker" in self.text(), 30, "a worker to boot")

    def text(self) -> str:
        try:
            return self.log.read_text()
        except FileNotFoundError:
            return ""

    def get(self, path: str = "/", timeout: float = 20) -> requests.Response:
        return requests.get(self.url + path, headers={"Connection": "close"}, timeout=timeout)

    def pid_of_reply(self) -> int:
        r = self.get()
        assert r.status_code == 200
        return int(r.text.split("=")[1])

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@pytest.mark.timeout(60)
def test_serves_with_the_gonet_worker(tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    with Gunicorn(tmp_path, "--workers", "2", "--access-logfile", str(access)) as g:
        assert "Using worker: gonet.gunicorn.Worker" in g.text()
        r = requests.get(g.url + "/?q=1", headers={"User-Agent": "ua-gunicorn"}, timeout=10)
        assert r.status_code == 200
        wait_until(lambda: access.exists() and "ua-gunicorn" in access.read_text(), 10,
                   "the access log line")
        assert re.search(r'^127\.0\.0\.1 - - \[.+\] "GET /\?q=1 HTTP/1\.1" 200 \d+ "-" '
                         r'"ua-gunicorn"$', access.read_text(), re.M), access.read_text()
        pids = {g.pid_of_reply() for _ in range(20)}
        assert g.proc.pid not in pids and pids
        # Concurrency inside one worker: parked requests do not hold each other up.
        results: list[str] = []
        threads = [threading.Thread(target=lambda: results.append(g.get("/park?0.5").text))
                   for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(results) == 20 and all(r.startswith("parked ") for r in results)
        g.proc.send_signal(signal.SIGTERM)
        assert g.proc.wait(30) == 0


@pytest.mark.timeout(60)
def test_max_requests_replaces_the_worker_after_exactly_n(tmp_path: Path) -> None:
    with Gunicorn(tmp_path, "--workers", "1", "--max-requests", "3") as g:
        pids = [g.pid_of_reply() for _ in range(7)]
        assert len(set(pids[:3])) == 1, pids
        assert pids[3] != pids[0] and len(set(pids[3:6])) == 1 and pids[6] != pids[3], pids
        assert g.text().count("Autorestarting worker after current request.") >= 2


@pytest.mark.timeout(60)
def test_timeout_kills_a_stuck_worker_but_not_a_parked_request(tmp_path: Path) -> None:
    with Gunicorn(tmp_path, "--workers", "1", "--timeout", "2") as g:
        first = g.pid_of_reply()
        # Parked for longer than the timeout: the heartbeat goes on, the request completes.
        r = g.get("/park?3")
        assert r.status_code == 200 and r.text == f"parked {first}"
        assert "WORKER TIMEOUT" not in g.text()
        # Blocking the thread stops the heartbeat: gunicorn kills the worker.
        with pytest.raises(requests.RequestException):
            g.get("/block?20", timeout=20)
        assert f"WORKER TIMEOUT (pid:{first})" in g.text()
        second = g.pid_of_reply()
        assert second != first


@pytest.mark.timeout(60)
def test_sighup_reload_is_graceful(tmp_path: Path) -> None:
    with Gunicorn(tmp_path, "--workers", "1") as g:
        old = g.pid_of_reply()
        result: dict[str, Any] = {}

        def slow() -> None:
            r = g.get(f"/slow?{tmp_path}", timeout=30)
            result["status"], result["text"] = r.status_code, r.text

        t = threading.Thread(target=slow)
        t.start()
        wait_until(lambda: (tmp_path / "started").exists(), 20, "the slow request")
        g.proc.send_signal(signal.SIGHUP)
        new = wait_until(lambda: (p := g.pid_of_reply()) != old and p, 20, "a new worker")
        assert t.is_alive()  # the old worker is still finishing the request
        (tmp_path / "release").touch()
        t.join(30)
        assert result == {"status": 200, "text": f"finished {old}"}
        wait_until(lambda: not os.path.exists(f"/proc/{old}") or _zombie(old), 20,
                   "the old worker to exit")
        assert g.pid_of_reply() == new


@pytest.mark.timeout(60)
def test_sigterm_stops_gracefully(tmp_path: Path) -> None:
    with Gunicorn(tmp_path, "--workers", "1", "--graceful-timeout", "20") as g:
        result: dict[str, Any] = {}

        def slow() -> None:
            r = g.get(f"/slow?{tmp_path}", timeout=30)
            result["status"] = r.status_code

        t = threading.Thread(target=slow)
        t.start()
        wait_until(lambda: (tmp_path / "started").exists(), 20, "the slow request")
        g.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: "Handling signal: term" in g.text(), 10, "gunicorn to get SIGTERM")
        assert g.proc.poll() is None
        (tmp_path / "release").touch()
        t.join(30)
        assert result == {"status": 200}
        assert g.proc.wait(30) == 0


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True
