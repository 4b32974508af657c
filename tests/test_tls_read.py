"""gonet.tls reads: every read size and buffer size, records arriving whole, split and batched.

The read path asks OpenSSL for no more than one record's body when exactly one
record arrived, feeds the BIO through the thread's shared read buffer (and a
cached slice of it), and follows record boundaries for the EOF rule. These
tests check that no byte is lost, duplicated or mixed up between conns in any
of those cases. A hand-driven OpenSSL client (``RawTLSPeer``) decides how the
ciphertext is cut on the wire.
"""

from __future__ import annotations

import random
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

import gonet
import gonet.tls
from gonet.testing import gotest, wait_all_blocked
from tlsutil import Certs, RawTLSPeer, make_certs

# Plaintext sizes around the record limit (16 KiB): one byte, small, exactly one
# full record, one byte more (two records), many records.
SIZES = (1, 64, 1000, 16384, 16385, 70000)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Certs]:
    yield make_certs(Path(tmp_path_factory.mktemp("tls-read")))


def payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def accept(ln: gonet.tls.TLSListener) -> gonet.tls.TLSConn:
    s = ln.accept()
    s.handshake()
    return s


def connect(certs: Certs, ln: gonet.tls.TLSListener) -> tuple[RawTLSPeer, gonet.tls.TLSConn]:
    """A hand-driven client and the gonet server conn it is connected to, handshake done."""
    g = gonet.go(accept, ln)
    raw = RawTLSPeer(gonet.dial("tcp", str(ln.addr)), certs.client_context(), "localhost")
    raw.handshake()
    return raw, g.join()


def read_all(conn: gonet.tls.TLSConn, total: int, size: int, into: bool) -> bytes:
    """Read ``total`` bytes with reads of at most ``size`` (read or read_into)."""
    got = bytearray()
    buf = bytearray(size)
    while len(got) < total:
        if into:
            k = conn.read_into(buf)
            assert 0 < k <= size
            got += buf[:k]
        else:
            chunk = conn.read(size)
            assert 0 < len(chunk) <= size
            got += chunk
    return bytes(got)


def cuts(data: bytes, mode: str, rng: random.Random) -> Iterator[bytes]:
    """The ciphertext ``data`` in the pieces one write each puts on the wire."""
    if mode == "whole":
        yield data
        return
    pos = 0
    while pos < len(data):
        step = 1 if mode == "bytes" else rng.randint(1, 3000)
        yield data[pos:pos + step]
        pos += step


@pytest.mark.parametrize("mode", ["whole", "random", "bytes"])
@pytest.mark.parametrize("into", [False, True])
@pytest.mark.parametrize("size", [1, 7, 100, 16384, 65536])
@gotest
def test_every_read_size_over_every_cut_of_the_ciphertext(certs: Certs, mode: str, into: bool,
                                                         size: int) -> None:
    sizes = SIZES if mode != "bytes" else (1, 64, 1000, 16385)  # a byte per write: keep it short
    msgs = [payload(n, seed) for seed, n in enumerate(sizes)]
    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        raw, s = connect(certs, ln)

        def send() -> None:
            rng = random.Random(size)
            for m in msgs:
                for piece in cuts(raw.records(m), mode, rng):
                    raw.conn.write(piece)

        sender = gonet.go(send)
        assert read_all(s, sum(map(len, msgs)), size, into) == b"".join(msgs)
        sender.join()
        s.close()
        raw.conn.close()


@gotest
def test_read_smaller_than_the_record_returns_the_rest_later(certs: Certs) -> None:
    # Exactly one record arrives: OpenSSL is asked for at most its body, never less
    # than the caller's n would give, and what does not fit waits for the next read.
    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        raw, s = connect(certs, ln)
        for n in (1, 64, 1000, 16384):
            data = payload(n, n)
            raw.conn.write(raw.records(data))
            first = s.read(10)
            assert first == data[:10]
            assert read_all(s, n - len(first), 65536, into=False) == data[10:]
            raw.conn.write(raw.records(data))
            buf = bytearray(3)
            assert s.read_into(buf) == min(3, n) and buf[:min(3, n)] == data[:3]
            assert read_all(s, n - min(3, n), 65536, into=True) == data[3:]
        s.close()
        raw.conn.close()


@pytest.mark.parametrize("cipher", ["TLSv1.3", "ECDHE-ECDSA-AES128-GCM-SHA256",
                                    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-SHA256"])
@gotest
def test_one_read_returns_one_whole_small_record(certs: Certs, cipher: str) -> None:
    # The common echo case: one record per read, all of its plaintext in one call;
    # with TLS 1.2's AEAD (explicit nonce), ChaCha20 and CBC (IV, MAC, padding)
    # records too, whose bodies differ from their plaintext by other amounts.
    ctx = certs.server_context()
    if cipher != "TLSv1.3":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(cipher)
    with gonet.tls.listen("tcp", "127.0.0.1:0", ctx) as ln:
        raw, s = connect(certs, ln)
        assert s.cipher is not None
        assert s.cipher[0] == cipher if cipher != "TLSv1.3" else s.version == "TLSv1.3"
        for n in (1, 2, 64, 1000, 16384):
            data = payload(n, n)
            raw.conn.write(raw.records(data))
            assert s.read(65536) == data
            buf = bytearray(65536)
            raw.conn.write(raw.records(data))
            assert s.read_into(buf) == n and buf[:n] == data
        s.close()
        raw.conn.close()


@gotest
def test_partial_record_parks_until_the_rest_arrives(certs: Certs) -> None:
    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        raw, s = connect(certs, ln)
        for cut in (1, 4, 5, 6, 500):  # inside the header, at its end, inside the body
            data = payload(1000, cut)
            rec = raw.records(data)
            reader = gonet.go(s.read, 65536)
            raw.conn.write(rec[:cut])
            wait_all_blocked()
            assert not reader.done()  # half a record gives no plaintext
            raw.conn.write(rec[cut:])
            assert reader.join() == data
        # Two records in one write, the second cut: the first is read, then the rest.
        a, b = payload(300, 1), payload(400, 2)
        ra, rb = raw.records(a), raw.records(b)
        raw.conn.write(ra + rb[:10])
        assert s.read(65536) == a
        reader = gonet.go(s.read, 65536)
        wait_all_blocked()
        assert not reader.done()
        raw.conn.write(rb[10:])
        assert reader.join() == b
        s.close()
        raw.conn.close()


@gotest
def test_conns_sharing_the_read_buffer_keep_their_own_bytes(certs: Certs) -> None:
    # Every conn of a runtime reads ciphertext through one buffer (and one cached
    # slice of it): same-sized records on many conns, interleaved, stay apart.
    n_conns, rounds = 8, 20
    with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
        pairs = []
        for _ in range(n_conns):
            pairs.append(connect(certs, ln))
        results: gonet.Chan[tuple[int, bool]] = gonet.Chan(n_conns)

        def serve(i: int, s: gonet.tls.TLSConn) -> None:
            ok = True
            for r in range(rounds):
                ok &= read_all(s, 64, 65536, into=bool(i % 2)) == payload(64, i * 1000 + r)
            results.send((i, ok))

        for i, (_raw, s) in enumerate(pairs):
            gonet.go(serve, i, s)
        for r in range(rounds):
            for i, (raw, _s) in enumerate(pairs):
                raw.conn.write(raw.records(payload(64, i * 1000 + r)))
        assert sorted(results.recv() for _ in range(n_conns)) == [(i, True) for i in range(n_conns)]
        for raw, s in pairs:
            s.close()
            raw.conn.close()


@gotest
def test_records_without_application_data_before_the_first_read(certs: Certs) -> None:
    # TLS 1.3 session tickets are records with no plaintext, sent after the
    # handshake: the client's first read meets them, then returns the server's
    # whole record (no read size left over from the ticket's record).
    for size in (5000, 16384):
        data = payload(size, size)
        with gonet.tls.listen("tcp", "127.0.0.1:0", certs.server_context()) as ln:
            srv = gonet.go(accept, ln)
            c = gonet.tls.dial("tcp", str(ln.addr), certs.client_context(),
                               server_hostname="localhost")
            s = srv.join()
            s.write(data)
            assert c.read(65536) == data
            s.close()
            assert c.read() == b""
            c.close()
