"""``python -m gonet serve`` as a real process, driven by curl, requests and http.client.

The built-in page and the debug page answer curl; the access log writes a
combined-format line per request; SIGTERM lets a request in flight finish
(exit 0) while new connections are refused and idle keep-alive connections
are closed; a second signal or the end of the grace period cuts it (exit 1);
``--workers 2`` survives ``kill -9`` of a worker (the master restarts it and
every request in the meantime is answered) and stops every worker on SIGTERM.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from http_ops_support import descendants, need_binary, refuses, serve, wait_until, write_app

SLOW_APP = '''
import os, gonet

def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        d = environ["QUERY_STRING"]
        open(os.path.join(d, "started"), "w").close()
        while not os.path.exists(os.path.join(d, "release")):
            gonet.sleep(0.01)  # parks this request's goroutine only
        body = b"finished"
    else:
        body = b"pid=%d" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


@pytest.fixture
def slow_app(tmp_path: Path) -> Path:
    write_app(tmp_path, "slowapp", SLOW_APP)
    return tmp_path


def curl(url: str, *args: str) -> str:
    r = subprocess.run([need_binary("curl"), "-sS", "--max-time", "10", *args, url],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.timeout(60)
def test_builtin_page_and_debug_page_answer_curl() -> None:
    with serve("--bind", "127.0.0.1:0") as srv:
        assert re.fullmatch(r"listening on http://127\.0\.0\.1:\d+", srv.first_line)
        page = curl(srv.url + "/")
        assert "<h1>gonet is serving</h1>" in page and 'href="/debug/gonet/"' in page
        text = curl(srv.url + "/?format=text")
        assert text.startswith("gonet is serving\n")
        m = re.search(r"^goroutines: (\d+)$", text, re.M)
        assert m and int(m[1]) >= 2  # this request's conn goroutine and the accept loop
        prof = curl(srv.url + "/debug/gonet/goroutines?debug=1")
        assert prof.startswith("goroutine profile: total ")
        assert "@ [IO wait" in prof  # the accept loop parked on the listener
        assert "404 page not found" in curl(srv.url + "/nope")
        head = curl(srv.url + "/", "-I")
        assert head.startswith("HTTP/1.1 200 OK") and "text/html" in head
        assert srv.stop() == 0


@pytest.mark.timeout(60)
def test_access_log_combined_format() -> None:
    with serve("--bind", "127.0.0.1:0", "--access-log") as srv:
        curl(srv.url + "/?x=1", "-A", "ua-test/1.0", "-e", "http://ref.example/")
        curl(srv.url + "/missing")
        assert srv.stop() == 0
        out = srv.stdout_rest()
    assert re.search(r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
                     r'"GET /\?x=1 HTTP/1\.1" 200 \d+ "http://ref\.example/" "ua-test/1\.0"$',
                     out, re.M), out
    assert re.search(r'"GET /missing HTTP/1\.1" 404 \d+ "-" "curl/', out), out


def _slow_request(srv: Any, d: Path, result: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            r = requests.get(f"{srv.url}/slow?{d}", timeout=30)
            result["status"], result["body"] = r.status_code, r.text
        except Exception as e:  # reported by the test's assertion
            result["error"] = e

    t = threading.Thread(target=run)
    t.start()
    wait_until(lambda: (d / "started").exists(), 20, "the slow request to reach the app")
    return t


@pytest.mark.timeout(60)
def test_sigterm_finishes_the_request_in_flight_then_exits_0(slow_app: Path) -> None:
    with serve("slowapp:app", "--bind", "127.0.0.1:0", cwd=slow_app) as srv:
        host, port = srv.host_port
        idle = http.client.HTTPConnection(host, port, timeout=10)
        idle.request("GET", "/")
        assert idle.getresponse().read().startswith(b"pid=")  # now an idle keep-alive conn
        result: dict[str, Any] = {}
        t = _slow_request(srv, slow_app, result)
        srv.signal(signal.SIGTERM)
        wait_until(lambda: refuses(host, port), 10, "the listener to close")
        # The idle keep-alive connection is closed by the server.
        assert idle.sock is not None
        idle.sock.settimeout(10)
        assert idle.sock.recv(1) == b""
        idle.close()
        assert srv.proc.poll() is None  # still finishing the slow request
        (slow_app / "release").touch()
        t.join(30)
        assert result == {"status": 200, "body": "finished"}
        assert srv.wait(30) == 0
        assert "SIGTERM: shutting down" in srv.stderr()


@pytest.mark.timeout(60)
def test_second_signal_stops_at_once(slow_app: Path) -> None:
    with serve("slowapp:app", "--bind", "127.0.0.1:0", cwd=slow_app) as srv:
        result: dict[str, Any] = {}
        t = _slow_request(srv, slow_app, result)
        srv.signal(signal.SIGINT)
        wait_until(lambda: "shutting down" in srv.stderr(), 10, "the first signal to register")
        srv.signal(signal.SIGINT)
        assert srv.wait(10) == 1
        t.join(30)
        assert "error" in result  # the in-flight request was cut
        assert "again: closing every connection now" in srv.stderr()


@pytest.mark.timeout(60)
def test_grace_period_ends_a_stuck_request(slow_app: Path) -> None:
    with serve("slowapp:app", "--bind", "127.0.0.1:0", "--graceful-timeout", "0.5",
               cwd=slow_app) as srv:
        result: dict[str, Any] = {}
        t = _slow_request(srv, slow_app, result)
        srv.signal(signal.SIGTERM)
        assert srv.wait(20) == 1
        t.join(30)
        assert "error" in result
        assert "grace period of 0.5 s over" in srv.stderr()


def _get_pid(url: str) -> int:
    r = requests.get(url + "/", headers={"Connection": "close"}, timeout=10)
    assert r.status_code == 200
    return int(r.text.split("=")[1])


@pytest.mark.timeout(90)
@pytest.mark.parametrize("mode", ["shared", "reuse-port"])
def test_workers_survive_kill_9(slow_app: Path, mode: str) -> None:
    extra = ["--no-reuse-port"] if mode == "shared" else []
    with serve("slowapp:app", "--bind", "127.0.0.1:0", "--workers", "2", *extra,
               cwd=slow_app) as srv:
        workers = set(wait_until(lambda: descendants(srv.pid) if len(descendants(srv.pid)) == 2
                                 else None, 20, "two workers"))
        seen = {_get_pid(srv.url) for _ in range(40)}
        assert seen <= workers
        victim = next(iter(workers))
        os.kill(victim, signal.SIGKILL)
        # Every request keeps being answered while the master replaces the victim.
        for _ in range(2000):
            pid = _get_pid(srv.url)
            now = set(descendants(srv.pid))
            if victim not in now and len(now) == 2 and pid in now - workers:
                break
        else:
            raise AssertionError("no replacement worker answered after 2000 requests")
        assert re.search(rf"worker {victim} died .*killed by SIGKILL.*restarting", srv.stderr())
        current = set(descendants(srv.pid))
        assert srv.stop() == 0
        for pid in current:
            assert not os.path.exists(f"/proc/{pid}") or _is_zombie_or_gone(pid)
        assert "stopping 2 workers gracefully" in srv.stderr()


def _is_zombie_or_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


@pytest.mark.timeout(60)
def test_workers_finish_in_flight_requests_on_sigterm(slow_app: Path) -> None:
    with serve("slowapp:app", "--bind", "127.0.0.1:0", "--workers", "2", cwd=slow_app) as srv:
        result: dict[str, Any] = {}
        t = _slow_request(srv, slow_app, result)
        srv.signal(signal.SIGTERM)
        host, port = srv.host_port
        wait_until(lambda: refuses(host, port), 20, "the workers to stop accepting")
        (slow_app / "release").touch()
        t.join(30)
        assert result == {"status": 200, "body": "finished"}
        assert srv.wait(30) == 0


@pytest.mark.timeout(60)
def test_workers_stop_when_the_master_is_killed(slow_app: Path) -> None:
    with serve("slowapp:app", "--bind", "127.0.0.1:0", "--workers", "2", cwd=slow_app) as srv:
        workers = wait_until(lambda: (w := descendants(srv.pid)) and len(w) == 2 and w, 20,
                             "two workers")
        os.kill(srv.pid, signal.SIGKILL)
        srv.wait(10)
        # Orphaned, each worker notices its parent changed and shuts down gracefully.
        wait_until(lambda: all(_is_zombie_or_gone(p) for p in workers), 20,
                   "the orphaned workers to exit")
        assert "is gone: shutting down" in srv.stderr()
