"""gonet.tls between gonet peers (and a hand-driven OpenSSL peer): Go's ``crypto/tls`` semantics.

Lazy handshake, sticky handshake and write errors, deadlines covering the
handshake, close_notify as EOF, truncation reported, close never waiting for
the peer, close_write, ALPN, SNI, session resumption, a 64 MiB transfer
checked by hash. Timing tests run on a MockClock with every peer inside the
runtime, so they are exact and instant.
"""

from __future__ import annotations

import hashlib
import random
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import gonet
import gonet.tls
from gonet.testing import MockClock, gotest, wait_all_blocked
from tlsutil import Certs, RawTLSPeer, make_certs


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Certs]:
    yield make_certs(Path(tmp_path_factory.mktemp("tls")))


def echo(conn: gonet.tls.TLSConn) -> None:
    while data := conn.read():
        conn.write(data)


def echo_then_close(conn: gonet.tls.TLSConn) -> None:
    try:
        echo(conn)
    finally:
        conn.close()


def tls_pair(certs: Certs, *, server_ctx: ssl.SSLContext | None = None,
             client_ctx: ssl.SSLContext | None = None, hostname: str = "localhost",
             network: str = "tcp", address: str = "127.0.0.1:0",
             ) -> tuple[gonet.tls.TLSConn, gonet.tls.TLSConn]:
    """A (client, server) pair of TLS conns, handshake not yet run."""
    with gonet.listen(network, address) as ln:
        g = gonet.go(ln.accept)
        c = gonet.dial(network, str(ln.addr))
        s = g.join()
    server = gonet.tls.server(s, server_ctx or certs.server_context())
    client = gonet.tls.client(c, client_ctx or certs.client_context(), hostname)
    return client, server


def read_exact(conn: gonet.tls.TLSConn, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.read(n - len(buf))
        assert chunk, f"EOF after {len(buf)} of {n} bytes"
        buf += chunk
    return bytes(buf)


# --- basics ------------------------------------------------------------------------------


@gotest
def test_echo_and_negotiated_parameters(certs: Certs) -> None:
    ln = gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context())
    srv = gonet.go(ln.serve, echo)
    c = gonet.tls.dial("tcp", f"127.0.0.1:{ln.addr.port}", certs.client_context(),
                       server_hostname="localhost")
    assert c.handshake_complete  # dial completes the handshake
    assert c.version == "TLSv1.3"
    _name, proto, bits = c.cipher
    assert proto == "TLSv1.3" and bits >= 128
    assert c.server_hostname == "localhost"
    assert not c.server_side
    cert = c.peer_certificate
    assert ("DNS", "localhost") in cert["subjectAltName"]
    der = c.peer_certificate_der
    assert der == ssl.PEM_cert_to_DER_cert(certs.server.cert_chain_pems[0].bytes().decode())
    assert c.getpeercert(binary_form=True) == der
    assert c.alpn_protocol is None
    state = c.connection_state()
    assert state.handshake_complete and state.version == "TLSv1.3" and not state.session_reused
    assert c.local_addr == c.net_conn.local_addr and c.remote_addr.port == ln.addr.port
    assert c.fileno() == c.net_conn.fileno() >= 0
    for size in (1, 64, 16384, 16385, 100_000):
        msg = bytes(random.Random(size).randbytes(size))
        assert c.write(msg) == size
        assert read_exact(c, size) == msg
    buf = bytearray(10)
    c.write(b"0123456789")
    got = 0
    while got < 10:
        got += c.read_into(memoryview(buf)[got:])
    assert buf == b"0123456789"
    assert c.read(0) == b"" and c.write(b"") == 0
    c.close()
    c.close()  # idempotent
    assert c.closed() and c.fileno() == -1
    ln.close()
    srv.join()


@gotest
def test_handshake_is_lazy_and_accept_never_waits_for_it(certs: Certs) -> None:
    ln = gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context())
    silent = gonet.dial("tcp", str(ln.addr))  # connects and says nothing
    first = ln.accept()
    assert isinstance(first, gonet.tls.TLSConn) and not first.handshake_complete
    assert first.version is None and first.peer_certificate is None
    srv = gonet.go(ln.serve, echo)
    c = gonet.tls.dial("tcp", str(ln.addr), certs.client_context(), server_hostname="localhost")
    c.write(b"ping")
    assert read_exact(c, 4) == b"ping"  # served while the silent client still waits
    c.close()
    silent.close()
    with pytest.raises(gonet.tls.TruncatedError) as ei:
        first.handshake()
    assert ei.value.during_handshake
    first.close()
    ln.close()
    srv.join()


@gotest
def test_over_unix_socket(certs: Certs, tmp_path: Path) -> None:
    c, s = tls_pair(certs, network="unix", address=str(tmp_path / "tls.sock"))
    g = gonet.go(echo, s)
    c.write(b"over unix")
    assert read_exact(c, 9) == b"over unix"
    c.close()
    g.join()
    s.close()


@gotest
def test_bad_arguments(certs: Certs) -> None:
    c, s = tls_pair(certs)
    with pytest.raises(TypeError):
        gonet.tls.server(s.net_conn, "not a context")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        gonet.tls.listen("tcp", "127.0.0.1:0", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        gonet.tls.dial("tcp", "127.0.0.1:1", object())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        gonet.tls.client(c.net_conn, certs.client_context())  # check_hostname needs a name
    g = gonet.go(echo, s)
    with pytest.raises(ValueError):
        c.read(-1)
    c.close()
    g.join()
    s.close()


@gotest
def test_close_write_before_handshake_is_an_error(certs: Certs) -> None:
    c, s = tls_pair(certs)
    with pytest.raises(OSError, match="before handshake complete"):
        c.close_write()
    c.close()
    s.close()


# --- EOF, close_notify, truncation -----------------------------------------------------------


@gotest
def test_close_notify_reads_as_eof_for_ever(certs: Certs) -> None:
    c, s = tls_pair(certs)
    g = gonet.go(lambda: (s.read(), s.read(), s.read_into(bytearray(4))))
    c.write(b"last words")
    c.close()
    assert g.join() == (b"last words", b"", 0)
    s.close()


@gotest
def test_serve_closes_with_close_notify(certs: Certs) -> None:
    def one_reply(conn: gonet.tls.TLSConn) -> None:
        conn.write(b"bye")

    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        srv = gonet.go(ln.serve, one_reply)
        c = gonet.tls.dial("tcp", str(ln.addr), certs.client_context(),
                           server_hostname="localhost")
        assert read_exact(c, 3) == b"bye"
        assert c.read() == b""  # a clean EOF: the handler's conn was closed with close_notify
        c.close()
    srv.join()


@gotest
def test_close_write_half_close(certs: Certs) -> None:
    c, s = tls_pair(certs)

    def server() -> None:
        req = bytearray()
        while chunk := s.read():
            req += chunk
        s.write(b"got " + bytes(req))
        s.close()

    g = gonet.go(server)
    c.write(b"request")
    c.close_write()
    c.close_write()  # again: the same outcome, nothing sent twice
    with pytest.raises(BrokenPipeError, match="protocol is shutdown") as ei:
        c.write(b"more")
    assert ei.value.written == 0
    assert read_exact(c, 11) == b"got request"
    assert c.read() == b""
    g.join()
    c.close()


def truncating_peer(certs: Certs, ln: gonet.tls.TLSListener, cut: int | None) -> None:
    """Handshake, send a 1,000-byte record (cut after ``cut`` bytes), then close without close_notify."""
    raw = RawTLSPeer(gonet.dial("tcp", str(ln.addr)), certs.client_context(), "localhost")
    raw.handshake()
    rec = raw.records(b"y" * 1000)
    raw.conn.write(rec if cut is None else rec[:cut])
    raw.conn.close()


@pytest.mark.parametrize("go_eof", [False, True])
@gotest
def test_truncated_mid_record_is_an_error(certs: Certs, go_eof: bool) -> None:
    ctx = certs.server_context()
    if go_eof:
        ctx.options |= ssl.OP_IGNORE_UNEXPECTED_EOF  # Go's rule: still an error mid-record
    with gonet.tls.listen("tcp", "127.0.0.1:0", ctx) as ln:
        for cut in (3, 5, 200):  # inside the header, right after it, inside the body
            peer = gonet.go(truncating_peer, certs, ln, cut)
            s = ln.accept()
            with pytest.raises(gonet.tls.TruncatedError) as ei:
                s.read()
            assert ei.value.mid_record
            assert isinstance(ei.value, ssl.SSLEOFError)
            with pytest.raises(gonet.tls.TruncatedError):
                s.read()  # sticky
            s.close()
            peer.join()


@gotest
def test_eof_at_record_boundary(certs: Certs) -> None:
    strict = certs.server_context()
    go_rule = certs.server_context()
    go_rule.options |= ssl.OP_IGNORE_UNEXPECTED_EOF
    for ctx, clean in ((strict, False), (go_rule, True)):
        with gonet.tls.listen("tcp", "127.0.0.1:0", ctx) as ln:
            peer = gonet.go(truncating_peer, certs, ln, None)
            s = ln.accept()
            assert read_exact(s, 1000) == b"y" * 1000
            if clean:
                assert s.read() == b""
            else:
                with pytest.raises(gonet.tls.TruncatedError, match="without a close_notify") as ei:
                    s.read()
                assert not ei.value.mid_record
            s.close()
            peer.join()


# --- garbage, failures, sticky errors -------------------------------------------------------


@pytest.mark.parametrize("garbage", [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                                     bytes(random.Random(7).randbytes(4096)),
                                     b"\x16\x03\x01\x00\x05hello"])
@gotest
def test_garbage_instead_of_client_hello(certs: Certs, garbage: bytes) -> None:
    errors: gonet.Chan[BaseException] = gonet.Chan(10)

    def handler(conn: gonet.tls.TLSConn) -> None:
        try:
            echo(conn)
        except ssl.SSLError as e:
            errors.send(e)

    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        srv = gonet.go(ln.serve, handler)
        bad = gonet.dial("tcp", str(ln.addr))
        bad.write(garbage)
        err = errors.recv()
        assert isinstance(err, ssl.SSLError)
        reply = bad.read()  # an alert record (type 21) or EOF: never a hang
        assert reply == b"" or reply[0] == 21
        bad.close()
        # The server keeps serving.
        c = gonet.tls.dial("tcp", str(ln.addr), certs.client_context(),
                           server_hostname="localhost")
        c.write(b"still here")
        assert read_exact(c, 10) == b"still here"
        c.close()
    srv.join()


@gotest
def test_certificate_failure_is_sticky_and_closes(certs: Certs) -> None:
    other = make_certs_in_memory()

    def accept_and_fail(ln: gonet.tls.TLSListener) -> BaseException:
        with ln.accept() as s:
            with pytest.raises(ssl.SSLError) as ei:  # the client's alert
                s.read()
            return ei.value

    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        g = gonet.go(accept_and_fail, ln)
        with pytest.raises(ssl.SSLCertVerificationError):
            gonet.tls.dial("tcp", str(ln.addr), other.client_context(),
                           server_hostname="localhost")
        assert "unknown ca" in str(g.join()).lower()
        # A wrong name fails too; and on a conn of our own the error sticks.
        g = gonet.go(accept_and_fail, ln)
        c = gonet.tls.client(gonet.dial("tcp", str(ln.addr)), certs.client_context(),
                             "wrong.example")
        with pytest.raises(ssl.SSLCertVerificationError, match=r"wrong\.example|mismatch"):
            c.handshake()
        with pytest.raises(ssl.SSLCertVerificationError):
            c.handshake()
        with pytest.raises(ssl.SSLCertVerificationError) as ei:
            c.write(b"x")
        assert ei.value.written == 0
        with pytest.raises(ssl.SSLCertVerificationError):
            c.read()
        g.join()
        c.close()


def make_certs_in_memory() -> Certs:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        return make_certs(Path(d))


# --- deadlines ------------------------------------------------------------------------------


@gotest(clock=MockClock)
def test_handshake_deadline_fires_against_silent_client(certs: Certs) -> None:
    results: gonet.Chan[object] = gonet.Chan(10)

    def handler(conn: gonet.tls.TLSConn) -> None:
        conn.set_deadline(gonet.monotonic() + 2.0)
        try:
            data = conn.read()
        except gonet.DeadlineExceededError as e:
            results.send(e)
            with pytest.raises(gonet.DeadlineExceededError):
                conn.read()  # the handshake error is sticky (Go)
            return
        conn.write(data)
        results.send(data)

    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        srv = gonet.go(ln.serve, handler)
        t0 = gonet.monotonic()
        silent = gonet.dial("tcp", str(ln.addr))
        err = results.recv()
        assert isinstance(err, gonet.DeadlineExceededError)
        assert gonet.monotonic() - t0 == pytest.approx(2.0)
        c = gonet.tls.dial("tcp", str(ln.addr), certs.client_context(),
                           server_hostname="localhost")
        c.write(b"next")
        assert results.recv() == b"next"
        assert read_exact(c, 4) == b"next"
        c.close()
        silent.close()
    srv.join()


@gotest(clock=MockClock)
def test_dial_timeout_covers_connect_and_handshake() -> None:
    ctx = ssl.create_default_context()
    with gonet.listen("tcp", "127.0.0.1:0") as ln:  # accepts TCP, never answers TLS
        g = gonet.go(ln.accept)
        t0 = gonet.monotonic()
        with pytest.raises(gonet.DeadlineExceededError):
            gonet.tls.dial("tcp", str(ln.addr), ctx, server_hostname="localhost", timeout=3.0)
        assert gonet.monotonic() - t0 == pytest.approx(3.0)
        g.join().close()


@gotest(clock=MockClock)
def test_read_deadline_is_not_sticky(certs: Certs) -> None:
    c, s = tls_pair(certs)
    g = gonet.go(echo, s)
    c.handshake()
    c.set_read_deadline(gonet.monotonic() + 1.0)
    with pytest.raises(gonet.DeadlineExceededError):
        c.read()
    with pytest.raises(gonet.DeadlineExceededError):
        c.read()  # still passed: fails at once
    c.set_read_deadline(None)
    c.write(b"again")
    assert read_exact(c, 5) == b"again"
    c.close()
    g.join()
    s.close()


@gotest(clock=MockClock)
def test_write_timeout_is_sticky(certs: Certs) -> None:
    c, s = tls_pair(certs)
    hs = gonet.go(s.handshake)
    c.handshake()
    hs.join()
    big = b"z" * (64 << 20)  # far more than the socket buffers: the peer never reads
    c.set_write_deadline(gonet.monotonic() + 1.0)
    with pytest.raises(gonet.DeadlineExceededError) as ei:
        c.write(big)
    assert 0 <= ei.value.written < len(big)
    c.set_write_deadline(None)
    with pytest.raises(gonet.DeadlineExceededError) as ei2:
        c.write(b"x")  # "the TLS state is corrupt" (Go): every later write fails
    assert ei2.value.written == 0
    t0 = gonet.monotonic()
    c.close()  # skips close_notify after a write error; returns at once
    assert gonet.monotonic() == t0
    s.close()


# --- close ---------------------------------------------------------------------------------


@gotest(clock=MockClock)
def test_close_does_not_wait_for_the_peers_close_notify(certs: Certs) -> None:
    c, s = tls_pair(certs)
    hs = gonet.go(s.handshake)
    c.handshake()
    hs.join()
    t0 = gonet.monotonic()
    c.close()  # the server never answers (it is not even reading)
    assert gonet.monotonic() == t0
    assert s.read() == b""  # but our close_notify did arrive
    s.close()


def fill_send_buffers(conn: gonet.Conn) -> None:
    """Write raw bytes until the peer's window and our socket buffer are full."""
    conn.set_write_deadline(gonet.monotonic() + 0.5)
    with pytest.raises(gonet.DeadlineExceededError):
        while True:
            conn.write(bytes(65536))
    conn.set_write_deadline(None)


@pytest.mark.parametrize("write_deadline", [None, 1.0, 9.0])
@gotest(clock=MockClock)
def test_close_notify_is_bounded_by_write_deadline_or_5s(certs: Certs,
                                                         write_deadline: float | None) -> None:
    c, s = tls_pair(certs)
    hs = gonet.go(s.handshake)
    c.handshake()
    hs.join()
    fill_send_buffers(c.net_conn)  # the peer never reads: close_notify cannot leave
    t0 = gonet.monotonic()
    if write_deadline is not None:
        c.set_write_deadline(t0 + write_deadline)
    c.close()
    assert gonet.monotonic() - t0 == pytest.approx(min(write_deadline or 5.0, 5.0))
    assert c.closed() and c.fileno() == -1
    s.close()


@gotest(clock=MockClock)
def test_close_with_a_passed_write_deadline_still_closes(certs: Certs) -> None:
    c, s = tls_pair(certs)
    hs = gonet.go(s.handshake)
    c.handshake()
    hs.join()
    s.write(b"x")
    assert c.read() == b"x"  # and the session tickets before it: nothing left unread
    c.set_write_deadline(gonet.monotonic() - 1)  # close_notify cannot be sent
    c.close()
    assert c.closed() and c.fileno() == -1
    with pytest.raises(gonet.tls.TruncatedError):
        s.read()  # no close_notify reached the peer: truncation, not a clean EOF
    s.close()


@gotest(clock=MockClock)
def test_close_during_a_parked_write_returns_at_once(certs: Certs) -> None:
    c, s = tls_pair(certs)
    hs = gonet.go(s.handshake)
    c.handshake()
    hs.join()

    def writer() -> BaseException | None:
        try:
            c.write(b"w" * (64 << 20))
        except OSError as e:
            return e
        return None

    w = gonet.go(writer)
    wait_all_blocked()  # the writer is parked: the server never reads
    t0 = gonet.monotonic()
    c.close()
    assert gonet.monotonic() == t0
    err = w.join()
    assert isinstance(err, gonet.ClosedError)
    assert 0 <= err.written < 64 << 20  # type: ignore[attr-defined]
    s.close()


@pytest.mark.parametrize("closer", ["goroutine", "thread"])
@gotest
def test_close_wakes_parked_reader_and_later_calls_fail(certs: Certs, closer: str) -> None:
    # Conn.close() is safe from any thread (docs/api.md), a TLSConn's too: a watchdog
    # thread closing a TLS conn whose reader is parked.
    c, s = tls_pair(certs)
    hs = gonet.go(s.handshake)
    c.handshake()
    hs.join()
    def parked_reader() -> None:
        with pytest.raises(gonet.ClosedError):
            c.read()

    r = gonet.go(parked_reader)
    wait_all_blocked()
    if closer == "goroutine":
        c.close()
    else:
        errors: list[BaseException] = []

        def watchdog() -> None:
            try:
                c.close()
            except BaseException as e:  # reported by the assert below
                errors.append(e)

        t = threading.Thread(target=watchdog)
        t.start()
        gonet.blocking(t.join)
        assert errors == []
    r.join(timeout=5)
    assert c.closed()
    with pytest.raises(gonet.ClosedError):
        c.read()
    with pytest.raises(gonet.ClosedError) as ei:
        c.write(b"x")
    assert ei.value.written == 0
    c.close()  # idempotent
    s.close()


# --- ALPN, SNI, sessions ---------------------------------------------------------------------


@pytest.mark.parametrize(("server", "client", "want"), [
    (["h2", "http/1.1"], ["h2", "http/1.1"], "h2"),
    (["h2", "http/1.1"], ["http/1.1"], "http/1.1"),
    (["http/1.1"], ["h2", "http/1.1"], "http/1.1"),
    (["h2"], None, None),
])
@gotest
def test_alpn(certs: Certs, server: list[str], client: list[str] | None,
              want: str | None) -> None:
    c, s = tls_pair(certs, server_ctx=certs.server_context(alpn=server),
                    client_ctx=certs.client_context(alpn=client))
    hs = gonet.go(s.handshake)
    c.handshake()
    hs.join()
    assert c.alpn_protocol == want
    assert s.alpn_protocol == want
    c.close()
    s.close()


@gotest
def test_sni_callback_selects_context(certs: Certs) -> None:
    b_leaf = certs.ca.issue_cert("b.example")
    ctx_b = certs.server_context(leaf=b_leaf, alpn=["b-proto"])
    seen: list[str | None] = []

    def pick(obj: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        seen.append(name)
        if name == "b.example":
            obj.context = ctx_b

    def accept_and_handshake(ln: gonet.tls.TLSListener) -> gonet.tls.TLSConn:
        s = ln.accept()
        s.handshake()
        return s

    default = certs.server_context()
    default.sni_callback = pick
    with gonet.tls.listen("tcp", "127.0.0.1:0", default) as ln:
        for name, want_san in (("localhost", "localhost"), ("b.example", "b.example")):
            g = gonet.go(accept_and_handshake, ln)
            c = gonet.tls.dial("tcp", str(ln.addr), certs.client_context(alpn=["b-proto"]),
                               server_hostname=name)
            s = g.join()
            assert ("DNS", want_san) in c.peer_certificate["subjectAltName"]
            assert (s.context is ctx_b) == (name == "b.example")
            c.close()
            s.close()
    assert seen == ["localhost", "b.example"]


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
@gotest
def test_session_reuse(certs: Certs, version: str) -> None:
    cctx = certs.client_context()
    cctx.maximum_version = getattr(ssl.TLSVersion, version)

    def greet(conn: gonet.tls.TLSConn) -> None:
        conn.write(b"hi")
        conn.read()

    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        srv = gonet.go(ln.serve, greet)
        c1 = gonet.tls.dial("tcp", str(ln.addr), cctx, server_hostname="localhost")
        assert read_exact(c1, 2) == b"hi"  # TLS 1.3 tickets arrive with (before) the data
        session = c1.session
        assert session is not None and not c1.session_reused
        c1.close()
        c2 = gonet.tls.dial("tcp", str(ln.addr), cctx, server_hostname="localhost",
                            session=session)
        assert c2.session_reused
        assert c2.version == version.replace("_", ".")
        assert read_exact(c2, 2) == b"hi"
        c2.close()
    srv.join()


# --- volume and concurrency -------------------------------------------------------------------


@pytest.mark.timeout(240)
@gotest
def test_64mib_echo_checked_by_hash_both_directions(certs: Certs) -> None:
    size = 64 << 20
    c, s = tls_pair(certs)
    srv = gonet.go(echo_then_close, s)
    rnd = random.Random(64)
    block = rnd.randbytes(1 << 20)

    def send() -> str:
        h = hashlib.sha256()
        for i in range(64):
            chunk = block[i:] + block[:i]  # 64 different MiB
            h.update(chunk)
            c.write(chunk)
        c.close_write()
        return h.hexdigest()

    w = gonet.go(send)
    h = hashlib.sha256()
    got = 0
    while data := c.read():
        h.update(data)
        got += len(data)
    assert got == size
    assert h.hexdigest() == w.join()
    c.close()
    srv.join()


@gotest
def test_concurrent_readers_and_writers_on_one_conn(certs: Certs) -> None:
    c, s = tls_pair(certs)
    srv = gonet.go(echo, s)
    n, size = 4, 200_000
    expected = sum(range(n)) * size

    def writer(k: int) -> None:
        c.write(bytes([k]) * size)  # one write is atomic with respect to other writes

    writers = [gonet.go(writer, k) for k in range(n)]
    total = 0
    counts = [0] * n
    while total < n * size:
        data = c.read()
        total += len(data)
        for b in set(data):
            counts[b] += data.count(b)
    for w in writers:
        w.join()
    assert sum(k * counts[k] for k in range(n)) == expected and counts == [size] * n
    c.close()
    srv.join()
    s.close()


@gotest(clock=MockClock)
def test_reader_sends_what_openssl_queued_post_handshake_auth(certs: Certs) -> None:
    # TLS 1.3 post-handshake auth: the client's *read* processes the server's
    # CertificateRequest and makes OpenSSL queue Certificate/CertificateVerify/
    # Finished. The client never writes, so only its reader can send them
    # (before it parks for more input); otherwise the server never gets them.
    sctx = certs.server_context()
    sctx.verify_mode = ssl.CERT_REQUIRED
    sctx.post_handshake_auth = True
    certs.ca.configure_trust(sctx)
    cctx = certs.client_context()
    cctx.post_handshake_auth = True
    certs.ca.issue_cert("client.example").configure_cert(cctx)
    c, s = tls_pair(certs, server_ctx=sctx, client_ctx=cctx)

    def client() -> bytes:
        data = read_exact(c, 5)  # the request arrives with this data
        return data + read_exact(c, 3)  # parks: the reply must have gone out first

    cl = gonet.go(client)
    s.handshake()
    assert s.peer_certificate is None  # not asked for during the handshake
    s.verify_client_post_handshake()
    s.write(b"hello")
    s.set_read_deadline(gonet.monotonic() + 1.0)
    with pytest.raises(gonet.DeadlineExceededError):
        s.read()  # no application data comes, but the certificate did
    assert ("DNS", "client.example") in s.peer_certificate["subjectAltName"]
    s.set_read_deadline(None)
    s.write(b"bye")
    assert cl.join() == b"hellobye"
    c.close()
    s.close()


@pytest.mark.timeout(120)
@gotest
def test_200_concurrent_tls_clients(certs: Certs) -> None:
    n = 200
    cctx = certs.client_context()
    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        srv = gonet.go(ln.serve, echo)

        def client(i: int) -> bool:
            with gonet.tls.dial("tcp", str(ln.addr), cctx, server_hostname="localhost",
                                timeout=60) as c:
                for k in range(5):
                    msg = f"client {i} message {k}".encode() * (1 + i % 7)
                    c.write(msg)
                    if read_exact(c, len(msg)) != msg:
                        return False
                return True

        clients = [gonet.go(client, i) for i in range(n)]
        assert all(g.join() for g in clients)
    srv.join()
