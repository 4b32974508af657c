"""``python -m gonet serve --certfile/--keyfile``: HTTPS through gonet.tls, fetched by curl and requests.

Certificates come from trustme (a throwaway CA). The app sees
``wsgi.url_scheme == "https"``; a plain-HTTP client on the TLS port gets no
answer but the server keeps serving TLS clients.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
import requests

from http_ops_support import need_binary, serve, write_app

pytest.importorskip("gonet.tls", reason="gonet.tls lands with the tls branch")
trustme = pytest.importorskip("trustme", reason="trustme is in the test extra")

APP = '''
def app(environ, start_response):
    body = environ["wsgi.url_scheme"].encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


@pytest.mark.timeout(60)
def test_https_with_certfile_and_keyfile(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for extra in cert.cert_chain_pems[1:]:
        with open(certfile, "ab") as f:
            f.write(extra.bytes())
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))
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
