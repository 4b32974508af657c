"""RecordTracker (sans-IO): record boundaries found in ciphertext fed in arbitrary chunks."""

from __future__ import annotations

import random
import struct

import pytest

from gonet.tls.record import RecordTracker


def records(lengths: list[int]) -> tuple[bytes, set[int]]:
    """A stream of fake TLS records with these body lengths, and the offsets where each ends."""
    out = bytearray()
    ends = {0}
    for n in lengths:
        out += struct.pack("!BHH", 23, 0x0303, n) + bytes(n)
        ends.add(len(out))
    return bytes(out), ends


@pytest.mark.parametrize("seed", range(20))
def test_boundaries_under_random_chunking(seed: int) -> None:
    rnd = random.Random(seed)
    stream, ends = records([rnd.choice([0, 1, 5, 100, 16384, 16405, rnd.randrange(2000)])
                            for _ in range(50)])
    tr = RecordTracker()
    pos = 0
    while pos < len(stream):
        n = rnd.choice([1, 2, 3, 4, 5, 6, 7, 100, 4096, 65536])
        chunk = bytearray(stream[pos:pos + n]) + b"garbage after n"  # only n bytes count
        k = min(n, len(stream) - pos)
        tr.feed(memoryview(chunk), k)
        pos += k
        assert tr.at_boundary() == (pos in ends)
        last_end = max(e for e in ends if e <= pos)
        assert tr.partial == pos - last_end


def test_empty_stream_is_at_a_boundary() -> None:
    tr = RecordTracker()
    assert tr.at_boundary() and tr.partial == 0
    tr.feed(b"", 0)
    assert tr.at_boundary()
