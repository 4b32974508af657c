"""``python -m gonet serve --certfile/--keyfile``: HTTPS through gonet.tls, fetched by curl and requests.

Certificates come from trustme (a throwaway CA). The app sees
``wsgi.url_scheme == "https"``; a plain-HTTP client on the TLS port gets no
answer but the server keeps serving TLS clients.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from http_ops_support import need_binary, serve, wait_until, write_app

pytest.importorskip("gonet.tls", reason="gonet.tls lands with the tls branch")
trustme = pytest.importorskip("trustme", reason="trustme is in the test extra")

APP = '''
def app(environ, start_response):
    body = environ["wsgi.url_scheme"].encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


def make_certs(d: Path) -> tuple[Path, Path, Path]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = d / "cert.pem", d / "key.pem", d / "ca.pem"
    certfile.write_bytes(b"".join(p.bytes() for p in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))
    return certfile, keyfile, cafile


@pytest.mark.timeout(60)
def test_https_with_certfile_and_keyfile(tmp_path: Path) -> None:
    certfile, keyfile, cafile = make_certs(tmp_path)
    write_app(tmp_path, "tlsapp", APP)
    with serve("tlsapp:app", "--bind", "127.0.0.1:0", "--certfile", str(certfile),
               "--keyfile", str(keyfile), cwd=tmp_path) as srv:
        host, port = srv.host_port
        url = f"https://127.0.0.1:{port}/"
        r = requests.get(url, verify=str(cafile), timeout=10)
        assert r.status_code == 200 and r.text == "https"
        # A plain-HTTP client on the TLS port: the handshake fails, the server goes on.
        with socket.create_connection((host, port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(10)
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
        out = subprocess.run([need_binary("curl"), "-sS", "--max-time", "10", "--cacert",
                              str(cafile), url], capture_output=True, text=True, timeout=20)
        assert out.returncode == 0 and out.stdout == "https", out.stderr
        assert srv.stop() == 0


@pytest.mark.timeout(60)
def test_gunicorn_worker_serves_https(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn is in the test extra")
    certfile, keyfile, cafile = make_certs(tmp_path)
    write_app(tmp_path, "tlsapp", APP)
    log = tmp_path / "g.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gonet.gunicorn.Worker", "-b", "127.0.0.1:0",
         "--certfile", str(certfile), "--keyfile", str(keyfile), "--error-logfile", str(log),
         "tlsapp:app"], cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(tmp_path)),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        m = wait_until(lambda: log.exists() and re.search(r"Listening at: https?://(\S+)",
                                                          log.read_text()), 30, "gunicorn")
        wait_until(lambda: "Booting worker" in log.read_text(), 30, "a worker")
        r = requests.get(f"https://{m[1]}/", verify=str(cafile), timeout=10)
        assert r.status_code == 200 and r.text == "https"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
