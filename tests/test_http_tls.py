"""gonet.http over gonet.tls: HTTPS with requests, a file response through the encryption, scheme https."""

from __future__ import annotations

import hashlib
import os
import socket
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


def test_plain_http_request_to_https_port_gets_go_400(tmp_path: Path) -> None:
    # Go's net/http (server.go, tls.RecordHeaderError): a client speaking plain HTTP to
    # the TLS port reads "400 Client sent an HTTP request to an HTTPS server.", then EOF;
    # the server keeps serving TLS.
    certs = make_certs(tmp_path)
    ctx = certs.server_context(alpn=["http/1.1"])

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"secure"]

    def listen(address: str) -> Any:
        return gonet.tls.listen("tcp", address, ctx)

    with ServerThread(WSGIHandler(app), listen=listen) as st:
        with socket.create_connection(("127.0.0.1", st.port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
        assert reply == (b"HTTP/1.0 400 Bad Request\r\n\r\n"
                         b"Client sent an HTTP request to an HTTPS server.\n")
        r = requests.get(f"https://localhost:{st.port}/", timeout=10, verify=str(certs.ca_file))
        assert r.status_code == 200 and r.content == b"secure"
