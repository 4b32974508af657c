"""ssl under gonet.patch(): SSLContext.sslsocket_class parks goroutines on the raw descriptor."""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import gonet
from patchpeers import patched

trustme = pytest.importorskip("trustme")

__all__ = ["patched"]


@pytest.fixture(scope="module")
def contexts() -> Iterator[tuple[ssl.SSLContext, ssl.SSLContext]]:
    ca = trustme.CA()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # created before patch(): still works
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(server_ctx)
    server_ctx.set_alpn_protocols(["gonet-test", "http/1.1"])
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    client_ctx.set_alpn_protocols(["gonet-test"])
    yield server_ctx, client_ctx


def _serve(ln: socket.socket, server_ctx: ssl.SSLContext) -> None:
    while True:
        try:
            raw, _ = ln.accept()
        except OSError:
            return

        def handle(raw: socket.socket) -> None:
            try:
                with server_ctx.wrap_socket(raw, server_side=True) as tls:
                    while data := tls.recv(65536):
                        tls.sendall(hashlib.sha256(data).digest() if data == b"hash?" else data)
            except (ssl.SSLError, OSError):
                pass

        gonet.go(handle, raw)


def test_tls_echo_many_goroutines(patched: None, contexts: tuple[Any, Any]) -> None:
    server_ctx, client_ctx = contexts
    payload = os.urandom(256 * 1024)

    def main() -> list[tuple[bool, str | None, bool]]:
        ln = socket.socket()
        ln.bind(("127.0.0.1", 0))
        ln.listen(64)
        port = ln.getsockname()[1]
        server = gonet.go(_serve, ln, server_ctx)

        def client(i: int) -> tuple[bool, str | None, bool]:
            with socket.create_connection(("127.0.0.1", port), timeout=20) as raw, \
                    client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                assert isinstance(tls, ssl.SSLSocket)
                tls.sendall(payload)
                got = bytearray()
                while len(got) < len(payload):
                    chunk = tls.recv(65536)
                    assert chunk
                    got += chunk
                return bytes(got) == payload, tls.selected_alpn_protocol(), tls.version() is not None

        gs = [gonet.go(client, i) for i in range(20)]
        out = [g.join() for g in gs]
        ln.close()
        server.join()
        return out

    assert gonet.run(main) == [(True, "gonet-test", True)] * 20


def test_tls_handshake_timeout_while_others_run(patched: None, contexts: tuple[Any, Any]) -> None:
    _, client_ctx = contexts
    ln = socket.socket()
    ln.bind(("127.0.0.1", 0))
    ln.listen(4)  # accepted by the kernel, never answered

    def main() -> tuple[float, int]:
        ticks: list[float] = []
        stop: list[bool] = []

        def tick() -> None:
            while not stop:
                time.sleep(0.02)
                ticks.append(time.monotonic())

        tg = gonet.go(tick)
        try:
            raw = socket.create_connection(ln.getsockname(), timeout=0.3)
            t0 = time.monotonic()
            with raw, pytest.raises(TimeoutError, match="handshake"):
                client_ctx.wrap_socket(raw, server_hostname="localhost")
            elapsed = time.monotonic() - t0
        finally:
            stop.append(True)
            tg.join()
        return elapsed, len(ticks)

    try:
        elapsed, ticks = gonet.run(main)
    finally:
        ln.close()
    assert 0.25 <= elapsed < 3
    assert ticks >= 5


def test_plain_thread_client_against_goroutine_server(patched: None,
                                                      contexts: tuple[Any, Any]) -> None:
    """Outside a runtime the SSLSocket subclass is ssl.SSLSocket: a thread's client just works."""
    server_ctx, client_ctx = contexts
    results: list[bytes] = []

    def main() -> None:
        ln = socket.socket()
        ln.bind(("127.0.0.1", 0))
        ln.listen(4)
        server = gonet.go(_serve, ln, server_ctx)

        def thread_client() -> None:
            with socket.create_connection(ln.getsockname(), timeout=20) as raw, \
                    client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"hash?")
                results.append(tls.recv(100))

        t = threading.Thread(target=thread_client)
        t.start()
        t.join()  # a goroutine joining a thread: through blocking()
        ln.close()
        server.join()

    gonet.run(main)
    assert results == [hashlib.sha256(b"hash?").digest()]
