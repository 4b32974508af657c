"""gonet.tls against independent TLS stacks: ``openssl s_client``, ``curl``, Python's ``ssl``.

Each peer is started by the test (a subprocess, or a plain thread through
``gonet.blocking``) against a certificate the test generates with trustme.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import gonet
import gonet.tls
from gonet.testing import gotest
from tlsutil import Certs, make_certs

OPENSSL = shutil.which("openssl")
CURL = shutil.which("curl")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Certs]:
    yield make_certs(Path(tmp_path_factory.mktemp("tls-peers")))


def line_reply(conn: gonet.tls.TLSConn) -> None:
    """Read one chunk, answer it, close (close_notify)."""
    data = conn.read()
    conn.write(b"echo: " + data + f" alpn={conn.alpn_protocol}".encode())


def run(argv: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Run a peer program off the runtime thread (the gonet server keeps serving)."""
    return gonet.blocking(subprocess.run, argv, input=stdin, capture_output=True, timeout=30,
                          check=False)  # type: ignore[no-any-return]


@pytest.mark.skipif(OPENSSL is None, reason="openssl binary not installed")
@pytest.mark.parametrize("alpn", ["h2", "http/1.1"])
@gotest
def test_openssl_s_client(certs: Certs, alpn: str) -> None:
    assert OPENSSL is not None
    ctx = certs.server_context(alpn=["h2", "http/1.1"])
    with gonet.tls.listen("tcp", "127.0.0.1:0", ctx) as ln:
        srv = gonet.go(ln.serve, line_reply)
        r = run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{ln.addr.port}",
                 "-CAfile", str(certs.ca_file), "-servername", "localhost",
                 "-verify_return_error", "-ign_eof", "-alpn", alpn], b"hello s_client\n")
        out = r.stdout.decode(errors="replace")
        assert r.returncode == 0, r.stderr.decode(errors="replace")
        assert f"echo: hello s_client\n alpn={alpn}" in out
        assert f"ALPN protocol: {alpn}" in out
        assert "Verify return code: 0 (ok)" in out
        assert "TLSv1.3" in out
        # TLS 1.2 works too.
        r = run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{ln.addr.port}",
                 "-CAfile", str(certs.ca_file), "-servername", "localhost", "-tls1_2",
                 "-verify_return_error", "-ign_eof", "-alpn", alpn], b"twelve\n")
        out = r.stdout.decode(errors="replace")
        assert r.returncode == 0 and "echo: twelve" in out and "TLSv1.2" in out
    srv.join()


def http_reply(conn: gonet.tls.TLSConn) -> None:
    """A tiny HTTP/1.1 responder: read the request head, answer, close."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.read()
        if not chunk:
            return
        head += chunk
    path = head.split(b" ", 2)[1]
    body = b"hello over TLS, path=" + path + f", alpn={conn.alpn_protocol}".encode()
    conn.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


@pytest.mark.skipif(CURL is None, reason="curl binary not installed")
@gotest
def test_curl_cacert(certs: Certs) -> None:
    assert CURL is not None
    ctx = certs.server_context(alpn=["http/1.1"])
    with gonet.tls.listen("tcp", "127.0.0.1:0", ctx) as ln:
        srv = gonet.go(ln.serve, http_reply)
        port = ln.addr.port
        for _ in range(3):  # one after another: the server keeps serving
            r = run([CURL, "-sS", "--max-time", "20", "--cacert", str(certs.ca_file),
                     "--resolve", f"localhost:{port}:127.0.0.1",
                     "-w", "\n%{http_code} %{ssl_verify_result} %{http_version}",
                     f"https://localhost:{port}/a/b?c"])
            assert r.returncode == 0, r.stderr.decode(errors="replace")
            body, status = r.stdout.decode().rsplit("\n", 1)
            assert body == "hello over TLS, path=/a/b?c, alpn=http/1.1"
            assert status == "200 0 1.1"
        # curl without the CA refuses the certificate; the server is unharmed.
        r = run([CURL, "-sS", "--max-time", "20", "--resolve", f"localhost:{port}:127.0.0.1",
                 f"https://localhost:{port}/"])
        assert r.returncode == 60  # CURLE_PEER_FAILED_VERIFICATION
    srv.join()


# --- Python's ssl module as the peer ------------------------------------------------------


def python_client(port: int, ctx: ssl.SSLContext, payload: bytes, unwrap: bool) -> bytes:
    """A blocking stdlib-ssl client (runs on a worker thread): send, read to EOF."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
        try:
            tls.sendall(payload)
            if not unwrap:  # hang up without close_notify (SSLSocket.close sends none)
                return tls.recv(1)  # after the ack: nothing left unread, so no RST
            out = b""
            while chunk := tls.recv(65536):
                out += chunk
            tls.unwrap()  # answer the server's close_notify
            return out
        finally:
            tls.close()


@gotest
def test_python_ssl_client(certs: Certs) -> None:
    results: gonet.Chan[object] = gonet.Chan(10)

    def handler(conn: gonet.tls.TLSConn) -> None:
        buf = b""
        try:
            buf = conn.read(7)
            if buf == b"partial":
                conn.write(b"!")
                conn.read()
                results.send(b"clean EOF?")
                return
            while len(buf) < 100_000:
                chunk = conn.read()
                if not chunk:
                    break
                buf += chunk
            conn.write(buf[::-1])
            results.send(conn.server_hostname is None and conn.version)
        except ssl.SSLError as e:
            results.send(e)

    payload = bytes(range(256)) * 400
    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        srv = gonet.go(ln.serve, handler)
        got = gonet.blocking(python_client, ln.addr.port, certs.client_context(),
                             payload[:100_000], True)
        assert got == payload[:100_000][::-1]
        assert results.recv() == "TLSv1.3"
        # A stdlib client that hangs up without close_notify: reported, never a clean EOF.
        assert gonet.blocking(python_client, ln.addr.port, certs.client_context(), b"partial",
                              False) == b"!"
        err = results.recv()
        assert isinstance(err, gonet.tls.TruncatedError) and not err.mid_record
    srv.join()


def python_server(sock: socket.socket, ctx: ssl.SSLContext) -> tuple[str | None, bytes]:
    """A blocking stdlib-ssl server for one conn (runs on a worker thread): echo until EOF."""
    conn, _ = sock.accept()
    with conn:
        conn.settimeout(20)
        tls = ctx.wrap_socket(conn, server_side=True)
        try:
            seen = b""
            alpn = tls.selected_alpn_protocol()
            while chunk := tls.recv(65536):
                seen += chunk
                tls.sendall(chunk)
            tls.unwrap()
            return alpn, seen
        finally:
            tls.close()


@gotest
def test_gonet_client_against_python_ssl_server(certs: Certs) -> None:
    sctx = certs.server_context(alpn=["h2", "http/1.1"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        srv = gonet.go(gonet.blocking, python_server, sock, sctx)
        c = gonet.tls.dial("tcp", f"127.0.0.1:{port}", certs.client_context(alpn=["h2"]),
                           server_hostname="localhost", timeout=20)
        assert c.alpn_protocol == "h2"
        msg = b"m" * 300_000
        w = gonet.go(c.write, msg)
        got = b""
        while len(got) < len(msg):
            got += c.read()
        assert w.join() == len(msg) and got == msg
        c.close_write()  # the stdlib server reads EOF, answers with its close_notify
        assert c.read() == b""
        c.close()
        assert srv.join() == ("h2", msg)
