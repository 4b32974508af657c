"""Bad arguments: one table, the same exception and message in both builds.

The compiled build converts arguments at C level, so without care it reports
bad ones differently from plain Python (``OverflowError``, ``BufferError``)
or not at all (a negative read size). :data:`CASES` is the one table of bad
(and borderline good) arguments: sizes, buffers, deadlines, addresses and
``write_to`` targets. It runs here, in whichever build this suite runs, and
in two fresh processes — compiled and ``GONET_PURE_PYTHON=1`` — whose
outcomes must be identical to each other and to the expected ones.

Run as a script, this file prints the outcomes as JSON (what the subprocess
test compares).
"""

from __future__ import annotations

import array
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import gonet

#: A unix socket path longer than sun_path (108 bytes); never created.
LONG_PATH = "/tmp/gonet-badargs-" + "x" * 120


@dataclass
class Env:
    """The objects the cases act on: a TCP conn pair, a listener, a UDP packet conn."""

    ln: gonet.Listener
    conn: gonet.Conn
    peer: gonet.Conn
    pc: gonet.PacketConn


@dataclass(frozen=True)
class Case:
    """Case: what to call, and the exception class (None: success) and message expected."""

    id: str
    call: Callable[[Env], Any]
    raises: type[BaseException] | None
    message: str  # the whole message (a success's repr when raises is None)


def _ok(case_id: str, call: Callable[[Env], Any], result: Any) -> Case:
    return Case(case_id, call, None, repr(result))


CASES: list[Case] = [
    # --- sizes: Conn.read(n), PacketConn.read_from(n) ---------------------------------------
    Case("read-negative", lambda e: e.conn.read(-1), ValueError,
         "read: n must not be negative, not -1"),
    Case("read-hugely-negative", lambda e: e.conn.read(-(2**70)), ValueError,
         f"read: n must not be negative, not {-(2**70)}"),
    Case("read-str", lambda e: e.conn.read("64"), TypeError, "read: n must be an int, not str"),
    Case("read-float", lambda e: e.conn.read(1.0), TypeError, "read: n must be an int, not float"),
    Case("read-none", lambda e: e.conn.read(None), TypeError,
         "read: n must be an int, not NoneType"),
    # A bool is an int, as everywhere in Python (socket.recv(True) reads one byte).
    _ok("read-bool", lambda e: e.conn.read(True), b"d"),
    # Huge sizes read what is there (at most 1 GiB, Go's maxRW): never an OverflowError.
    _ok("read-huge", lambda e: e.conn.read(2**70), b"ata"),
    _ok("read-zero", lambda e: e.conn.read(0), b""),
    Case("read_from-negative", lambda e: e.pc.read_from(-5), ValueError,
         "read_from: n must not be negative, not -5"),
    Case("read_from-str", lambda e: e.pc.read_from("x"), TypeError,
         "read_from: n must be an int, not str"),
    # --- buffers: Conn.read_into, Conn.write, PacketConn.write_to ---------------------------
    Case("read_into-bytes", lambda e: e.conn.read_into(b"abc"), TypeError,
         "read_into: buffer must be a writable bytes-like object, not a read-only bytes"),
    Case("read_into-readonly-memoryview", lambda e: e.conn.read_into(memoryview(b"abc")),
         TypeError,
         "read_into: buffer must be a writable bytes-like object, not a read-only memoryview"),
    Case("read_into-str", lambda e: e.conn.read_into("abc"), TypeError,
         "read_into: buffer must be a writable bytes-like object, not str"),
    Case("read_into-none", lambda e: e.conn.read_into(None), TypeError,
         "read_into: buffer must be a writable bytes-like object, not NoneType"),
    Case("read_into-non-contiguous", lambda e: e.conn.read_into(memoryview(bytearray(8))[::2]),
         TypeError, "read_into: buffer must be C-contiguous"),
    _ok("read_into-empty", lambda e: e.conn.read_into(bytearray()), 0),
    Case("write-str", lambda e: e.conn.write("abc"), TypeError,
         "write: data must be a bytes-like object, not str"),
    Case("write-int", lambda e: e.conn.write(3), TypeError,
         "write: data must be a bytes-like object, not int"),
    Case("write-non-contiguous", lambda e: e.conn.write(memoryview(b"abcdef")[::2]), TypeError,
         "write: data must be C-contiguous"),
    # Any C-contiguous buffer is written byte for byte (4 bytes, not 2 items).
    _ok("write-array", lambda e: e.conn.write(array.array("H", [1, 2])), 4),
    Case("write_to-str-data", lambda e: e.pc.write_to("abc", e.pc.local_addr), TypeError,
         "write_to: data must be a bytes-like object, not str"),
    # --- deadlines ----------------------------------------------------------------------------
    Case("read-deadline-nan", lambda e: e.conn.set_read_deadline(math.nan), ValueError,
         "deadline must be a time, not NaN"),
    Case("write-deadline-nan", lambda e: e.conn.set_write_deadline(float("nan")), ValueError,
         "deadline must be a time, not NaN"),
    Case("deadline-str", lambda e: e.conn.set_deadline("x"), TypeError,
         "deadline must be a time.monotonic() time (float) or None, not str"),
    Case("deadline-object", lambda e: e.conn.set_deadline(object()), TypeError,
         "deadline must be a time.monotonic() time (float) or None, not object"),
    Case("deadline-bool", lambda e: e.conn.set_read_deadline(True), TypeError,
         "deadline must be a time.monotonic() time (float) or None, not bool"),
    _ok("deadline-inf", lambda e: e.conn.set_deadline(math.inf), None),
    Case("listener-deadline-nan", lambda e: e.ln.set_deadline(math.nan), ValueError,
         "deadline must be a time, not NaN"),
    Case("packet-deadline-str", lambda e: e.pc.set_read_deadline("soon"), TypeError,
         "deadline must be a time.monotonic() time (float) or None, not str"),
    # --- addresses: dial / listen -----------------------------------------------------------
    Case("dial-missing-port", lambda e: gonet.dial("tcp", "localhost"), gonet.AddrError,
         "dial tcp: address localhost: missing port in address"),
    Case("dial-too-many-colons", lambda e: gonet.dial("tcp", "::1:80"), gonet.AddrError,
         "dial tcp: address ::1:80: too many colons in address"),
    Case("dial-port-out-of-range", lambda e: gonet.dial("tcp", "127.0.0.1:70000"),
         gonet.AddrError, "dial tcp: address 70000: invalid port"),
    Case("listen-port-out-of-range", lambda e: gonet.listen("tcp", "127.0.0.1:99999"),
         gonet.AddrError, "listen tcp: address 99999: invalid port"),
    Case("dial-tuple-port-out-of-range", lambda e: gonet.dial("tcp", ("127.0.0.1", 70000)),
         gonet.AddrError, "dial tcp: address 127.0.0.1:70000: invalid port"),
    Case("dial-tuple-port-huge", lambda e: gonet.dial("tcp", ("127.0.0.1", 2**70)),
         gonet.AddrError, f"dial tcp: address 127.0.0.1:{2**70}: invalid port"),
    Case("dial-tuple-negative-port", lambda e: gonet.dial("tcp", ("127.0.0.1", -1)),
         gonet.AddrError, "dial tcp: address 127.0.0.1:-1: invalid port"),
    Case("dial-tuple-short", lambda e: gonet.dial("tcp", ("127.0.0.1",)), gonet.AddrError,
         "dial tcp: address ('127.0.0.1',): expected a (host, port) tuple of a str and an int"),
    Case("dial-tuple-ints", lambda e: gonet.dial("tcp", (1, 2)), gonet.AddrError,
         "dial tcp: address (1, 2): expected a (host, port) tuple of a str and an int"),
    Case("dial-tuple-str-port", lambda e: gonet.dial("tcp", ("127.0.0.1", "80")), gonet.AddrError,
         "dial tcp: address ('127.0.0.1', '80'): expected a (host, port) tuple of a str and an int"),
    Case("dial-tuple-bool-port", lambda e: gonet.dial("tcp", ("127.0.0.1", True)),
         gonet.AddrError,
         "dial tcp: address ('127.0.0.1', True): expected a (host, port) tuple of a str and an int"),
    Case("dial-int-address", lambda e: gonet.dial("tcp", 80), gonet.AddrError,
         "dial tcp: address 80: expected a 'host:port' str or a (host, port) tuple, not int"),
    Case("dial-none-address", lambda e: gonet.dial("udp", None), gonet.AddrError,
         "dial udp: address None: expected a 'host:port' str or a (host, port) tuple, "
         "not NoneType"),
    Case("dial-unknown-network", lambda e: gonet.dial("tcpx", "127.0.0.1:1"), ValueError,
         "dial tcpx: unknown network tcpx"),
    Case("dial-network-not-str", lambda e: gonet.dial(6, "127.0.0.1:1"), TypeError,
         "network must be a str, not int"),
    Case("dial-v6-literal-on-tcp4", lambda e: gonet.dial("tcp4", "[::1]:80"), gonet.AddrError,
         "dial tcp4: address [::1]:80: no suitable address found"),
    Case("listen-unix-not-a-path", lambda e: gonet.listen("unix", 5), gonet.AddrError,
         "listen unix: address 5: unix address must be a path"),
    Case("listen-unix-path-too-long", lambda e: gonet.listen("unix", LONG_PATH), OSError,
         f"[Errno 22] listen unix {LONG_PATH}: bind: invalid argument"),
    Case("dial-unix-path-too-long", lambda e: gonet.dial("unix", LONG_PATH), OSError,
         f"[Errno 22] dial unix {LONG_PATH}: connect: invalid argument"),
    # --- write_to targets ---------------------------------------------------------------------
    Case("write_to-port-out-of-range", lambda e: e.pc.write_to(b"x", ("127.0.0.1", 70000)),
         gonet.AddrError, "write udp4: address 127.0.0.1:70000: invalid port"),
    Case("write_to-tuple-short", lambda e: e.pc.write_to(b"x", ("x",)), gonet.AddrError,
         "write udp4: address ('x',): expected a (host, port) tuple of a str and an int"),
    Case("write_to-tuple-ints", lambda e: e.pc.write_to(b"x", (1, 2)), gonet.AddrError,
         "write udp4: address (1, 2): expected a (host, port) tuple of a str and an int"),
    Case("write_to-tuple-three", lambda e: e.pc.write_to(b"x", ("127.0.0.1", 1, 0)),
         gonet.AddrError,
         "write udp4: address ('127.0.0.1', 1, 0): expected a (host, port) tuple of a str and an int"),
    Case("write_to-missing-port", lambda e: e.pc.write_to(b"x", "127.0.0.1"), gonet.AddrError,
         "write udp4: address 127.0.0.1: missing port in address"),
    Case("write_to-str-port-out-of-range", lambda e: e.pc.write_to(b"x", "127.0.0.1:65536"),
         gonet.AddrError, "write udp4: address 65536: invalid port"),
    Case("write_to-addr-without-port", lambda e: e.pc.write_to(b"x", gonet.Addr("udp", "127.0.0.1")),
         gonet.AddrError, "write udp4: address 127.0.0.1: missing port in address"),
    Case("write_to-v6-on-udp4", lambda e: e.pc.write_to(b"x", ("::1", 9)), gonet.AddrError,
         "write udp4: address ::1:9: no suitable address found"),
    Case("write_to-int", lambda e: e.pc.write_to(b"x", 9), TypeError,
         "write_to: addr must be an Addr, a 'host:port' str or a (host, port) tuple, not int"),
    Case("write_to-none", lambda e: e.pc.write_to(b"x", None), TypeError,
         "write_to: addr must be an Addr, a 'host:port' str or a (host, port) tuple, "
         "not NoneType"),
]


def outcomes() -> dict[str, list[str]]:
    """outcomes runs every case in a fresh runtime: id -> [exception class name, message]."""
    def main() -> dict[str, list[str]]:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        conn = gonet.dial("tcp", str(ln.addr))
        peer = ln.accept()
        pc = gonet.listen_packet("udp4", "127.0.0.1:0")
        peer.write(b"data")
        env = Env(ln, conn, peer, pc)
        out: dict[str, list[str]] = {}
        try:
            for case in CASES:
                try:
                    result = case.call(env)
                except Exception as e:
                    out[case.id] = [type(e).__name__, str(e)]
                else:
                    out[case.id] = ["ok", repr(result)]
        finally:
            for c in (conn, peer, pc, ln):
                c.close()
        return out

    return gonet.run(main)  # type: ignore[no-any-return]


def _expected(case: Case) -> list[str]:
    return ["ok" if case.raises is None else case.raises.__name__, case.message]


def test_table_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_argument_in_this_build(case: Case) -> None:
    holder: list[Any] = []

    def main() -> None:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        conn = gonet.dial("tcp", str(ln.addr))
        peer = ln.accept()
        pc = gonet.listen_packet("udp4", "127.0.0.1:0")
        peer.write(b"data")
        if case.id in ("read-huge", "read-zero"):
            conn.read(1)  # where the table's order leaves the stream for these
        try:
            try:
                holder.append(("ok", case.call(Env(ln, conn, peer, pc))))
            except Exception as e:
                holder.append(("raised", e))
        finally:
            for c in (conn, peer, pc, ln):
                c.close()

    gonet.run(main)
    (kind, value), = holder
    if case.raises is None:
        assert kind == "ok", value
        assert repr(value) == case.message
        return
    assert kind == "raised", f"expected {case.raises.__name__}, got {value!r}"
    assert isinstance(value, case.raises), repr(value)
    assert not isinstance(value, (OverflowError, BufferError))
    assert str(value) == case.message


def _outcomes_in_subprocess(pure: bool) -> tuple[bool, dict[str, list[str]]]:
    env = {k: v for k, v in os.environ.items() if k != "GONET_PURE_PYTHON"}
    if pure:
        env["GONET_PURE_PYTHON"] = "1"
    r = subprocess.run([sys.executable, "-W", "error", os.path.abspath(__file__)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    return report["compiled"], report["outcomes"]


def test_both_builds_agree_on_the_whole_table() -> None:
    compiled_build, compiled = _outcomes_in_subprocess(pure=False)
    pure_build, pure = _outcomes_in_subprocess(pure=True)
    assert compiled_build is True, "the compiled build did not load (run `make build`)"
    assert pure_build is False
    expected = {c.id: _expected(c) for c in CASES}
    mismatched = {k: (compiled[k], pure[k]) for k in expected if compiled[k] != pure[k]}
    assert not mismatched, mismatched
    wrong = {k: (compiled[k], expected[k]) for k in expected if compiled[k] != expected[k]}
    assert not wrong, wrong


if __name__ == "__main__":
    print(json.dumps({"compiled": gonet.COMPILED, "outcomes": outcomes()}))
