"""gonet serve behind a real nginx (Debian's package), started by the test on loopback.

nginx proxies with upstream keep-alive (``keepalive`` + HTTP/1.1 +
``Connection ""``) and sets X-Forwarded-For/-Proto; with
``--forwarded-allow-ips 127.0.0.1`` the app sees the client's address and
scheme from them, the upstream connection stays open between requests (the
server's own counters show it idle), and a client that talks to gonet
directly cannot forge the headers when the proxy is not trusted.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
import requests

from http_ops_support import need_binary, serve, wait_until, write_app

APP = '''
import json

def app(environ, start_response):
    body = json.dumps({
        "remote": environ["REMOTE_ADDR"],
        "scheme": environ["wsgi.url_scheme"],
        "xff": environ.get("HTTP_X_FORWARDED_FOR"),
        "path": environ["PATH_INFO"],
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream gonet_app {{
        server 127.0.0.1:{upstream};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gonet_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_nginx(d: Path, upstream: int) -> tuple[subprocess.Popen[bytes], int]:
    nginx = need_binary("nginx")
    port = _free_port()
    (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, upstream=upstream, port=port))
    proc = subprocess.Popen([nginx, "-p", str(d), "-c", str(d / "nginx.conf"), "-e",
                             str(d / "error.log")], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"nginx exited: {proc.stderr.read() if proc.stderr else ''!r}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    wait_until(up, 20, "nginx to listen")
    return proc, port


def _stop_nginx(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=20)
    if proc.stderr is not None:
        proc.stderr.close()


@pytest.mark.timeout(90)
def test_behind_nginx_with_upstream_keepalive(tmp_path: Path) -> None:
    write_app(tmp_path, "proxied", APP)
    with serve("proxied:app", "--bind", "127.0.0.1:0", "--forwarded-allow-ips", "127.0.0.1",
               "--debug-page", cwd=tmp_path) as srv:
        _, upstream = srv.host_port
        nginx, port = _start_nginx(tmp_path, upstream)
        try:
            with requests.Session() as s:
                for i in range(20):
                    r = s.get(f"http://127.0.0.1:{port}/p{i}",
                              headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
                    assert r.status_code == 200, r.text
                    got = r.json()
                    # nginx appends the peer it saw (127.0.0.1); both hops trusted up to it:
                    # the nearest untrusted hop is the client's claimed address.
                    assert got["xff"] == "203.0.113.9, 127.0.0.1"
                    assert got["remote"] == "203.0.113.9"
                    assert got["scheme"] == "https"
                    assert got["path"] == f"/p{i}"
            # Upstream keep-alive: nginx's connection to gonet stays open and idle.
            stats = requests.get(srv.url + "/debug/gonet/stats", timeout=10).json()["server"]
            assert stats["idle"] >= 1, stats
            assert 2 <= stats["conns"] <= 9, stats  # nginx's pool (<= 8) + this request
            assert stats["requests"] == 20, stats  # the stats request counts once answered
        finally:
            _stop_nginx(nginx)
        assert srv.stop() == 0


@pytest.mark.timeout(60)
def test_untrusted_peer_cannot_forge_forwarded_headers(tmp_path: Path) -> None:
    write_app(tmp_path, "proxied", APP)
    with serve("proxied:app", "--bind", "127.0.0.1:0", "--forwarded-allow-ips", "10.9.9.9",
               cwd=tmp_path) as srv:
        r = requests.get(srv.url + "/", headers={"X-Forwarded-For": "203.0.113.9",
                                                 "X-Forwarded-Proto": "https"}, timeout=10)
        got = r.json()
        assert got["remote"] == "127.0.0.1" and got["scheme"] == "http"
        assert srv.stop() == 0

