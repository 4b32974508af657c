"""gonet.http over gonet.tls: HTTPS with requests, a file response through the encryption, scheme https."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import requests

import gonet.tls
from gonet.http import WSGIHandler
from httputil import ServerThread
from tlsutil import make_certs


def test_https_wsgi_and_file_response(tmp_path: Path) -> None:
    certs = make_certs(tmp_path)
    ctx = certs.server_context(alpn=["http/1.1"])
    data = os.urandom(3 << 20)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        seen["scheme"] = environ["wsgi.url_scheme"]
        if environ["PATH_INFO"] == "/file":
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            return environ["wsgi.file_wrapper"](open(path, "rb"))
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"secure " + body]

    def listen(address: str) -> Any:
        return gonet.tls.listen("tcp", address, ctx)

    with ServerThread(WSGIHandler(app), listen=listen) as st, requests.Session() as s:
        ca = str(certs.ca_file)  # per request: requests lets REQUESTS_CA_BUNDLE override Session.verify
        r = s.post(f"https://localhost:{st.port}/echo", data=b"hello", timeout=10, verify=ca)
        assert r.status_code == 200 and r.content == b"secure hello"
        assert seen["scheme"] == "https"
        r = s.get(f"https://localhost:{st.port}/file", timeout=30, verify=ca)  # the same TLS connection
        assert hashlib.sha256(r.content).digest() == hashlib.sha256(data).digest()
