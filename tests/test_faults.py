"""Faults: injected at every syscall seam with ``gonet.testing.socktest``, and real ones.

Injected (Go's ``net/internal/socktest`` style):

* ``EINTR`` where a real kernel can return it (accept, connect, recv, send,
  recvfrom, sendto): the operation retries transparently and succeeds;
  at socket/listen, where it cannot, it surfaces as Go does (no retry).
* ``EAGAIN`` on accept and I/O: the switch latches a READY edge, so the
  operation retries at once and succeeds; a lost latch would hang the test
  (each such operation runs under a generous deadline to fail instead).
* ``ECONNABORTED`` on accept: retried silently, the next real connection is
  returned.
* ``EMFILE``/``ENFILE`` on accept during ``Listener.serve``: 5 ms back-off
  doubling to 1 s (Go's ``net/http``), checked exactly on the virtual clock.
* socket/connect/getsockopt failures while dialing, with Go's messages; close
  failures still release the descriptor.

Real: peer reset (SO_LINGER 0), half-close, a stalled peer under a write
deadline, close racing with everything (seeded, several hundred rounds), and
real descriptor exhaustion (a lowered ``RLIMIT_NOFILE``).
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import logging
import os
import random
import resource
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import gonet
import gonet.net.hook_unix as net_hooks
from gonet.testing import MockClock, gotest, open_fds, wait_all_blocked
from gonet.testing.socktest import Call, Switch, make_error
from netutil import linger_reset, pipe

#: A deadline far enough away never to fire in a passing test; it turns a lost
#: wakeup (which would hang forever) into a DeadlineExceededError.
GUARD = 10.0


def local_address(network: str, tmp: Path) -> str:
    """local_address is a fresh address to listen on for ``network``."""
    if network.startswith(("tcp", "udp")):
        return "127.0.0.1:0"
    return str(tmp / f"faults-{uuid.uuid4().hex[:8]}.sock")



def udp_pair() -> tuple[gonet.Conn, gonet.PacketConn]:
    """udp_pair returns a dialed UDP conn and the packet conn it is connected to."""
    pc = gonet.listen_packet("udp", "127.0.0.1:0")
    c = gonet.dial("udp", str(pc.local_addr))
    return c, pc


def guard(*conns: Any) -> None:
    """guard puts a generous deadline on each conn (see :data:`GUARD`)."""
    for c in conns:
        c.set_deadline(gonet.monotonic() + GUARD)


def read_exactly(c: gonet.Conn, n: int) -> bytes:
    """read_exactly reads ``n`` bytes (EOF before that is an error)."""
    buf = bytearray()
    while len(buf) < n:
        data = c.read(n - len(buf))
        assert data, f"EOF after {len(buf)} of {n} bytes"
        buf += data
    return bytes(buf)


def on(conn: Any) -> Callable[[Call], bool]:
    """on is a ``when`` predicate selecting the calls made on ``conn``'s socket."""
    pfd = conn._pfd if isinstance(conn, gonet.Conn) else conn._fd.pfd
    sock = pfd.sock
    return lambda call: call.sock is sock



# --- EINTR and EAGAIN: the operation retries and succeeds ---------------------------------------


RETRY_ERRNOS = [errno.EINTR, errno.EAGAIN]


@gotest
@pytest.mark.parametrize("code", RETRY_ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_accept_retries(network: str, code: int, tmp_path: Path) -> None:
    with Switch() as sw, gonet.listen(network, local_address(network, tmp_path)) as ln:
        c = gonet.dial(network, str(ln.addr))
        with c:
            guard(c, ln)
            sw.fail_next("accept", code, times=3)
            s = ln.accept()
            with s:
                assert sw.injected["accept"] == 3
                assert sw.calls["accept"] == 4
                # It is the real connection.
                c.write(b"ping")
                guard(s)
                assert read_exactly(s, 4) == b"ping"


@gotest
@pytest.mark.parametrize("code", RETRY_ERRNOS, ids=errno.errorcode.get)
def test_accept_retries_before_a_connection_is_pending(code: int) -> None:
    # The injected failures come first, then the real EAGAIN parks the acceptor
    # until the dial arrives.
    with Switch() as sw, gonet.listen("tcp", "127.0.0.1:0") as ln:
        guard(ln)
        sw.fail_next("accept", code, times=2)
        g = gonet.go(ln.accept)
        wait_all_blocked()
        assert not g.done()
        assert sw.injected["accept"] == 2
        with gonet.dial("tcp", str(ln.addr)) as c, g.join() as s:
            assert s.remote_addr == c.local_addr


@gotest
@pytest.mark.parametrize("code", RETRY_ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("network", ["tcp", "unix", "udp"])
@pytest.mark.parametrize("method", ["read", "read_into"])
def test_read_retries(method: str, network: str, code: int, tmp_path: Path) -> None:
    with Switch() as sw:
        if network == "udp":
            c, peer = udp_pair()
            send: Callable[[bytes], Any] = lambda b: peer.write_to(b, c.local_addr)  # noqa: E731
        else:
            c, peer = pipe(network, local_address(network, tmp_path))
            send = peer.write
        with c, peer:
            guard(c)
            send(b"hello")
            # Let the readiness edge arrive and be latched before the read starts:
            # without the switch's latch, the retry after EAGAIN would park forever.
            wait_all_blocked()
            sw.fail_next("recv", code, times=3, when=on(c))
            if method == "read":
                got = c.read(100)
            else:
                buf = bytearray(100)
                got = bytes(buf[:c.read_into(buf)])
            assert got == b"hello"
            assert sw.injected["recv"] == 3


@gotest
@pytest.mark.parametrize("code", RETRY_ERRNOS, ids=errno.errorcode.get)
def test_read_retries_while_parked(code: int) -> None:
    # The failures hit the retry after a real wakeup: the read was parked when the
    # data came, and the injected errors are followed by the latched edge.
    with Switch() as sw:
        c, s = pipe()
        with c, s:
            guard(c)
            g = gonet.go(c.read, 100)
            wait_all_blocked()
            sw.fail_next("recv", code, times=2, when=on(c))
            s.write(b"late")
            assert g.join() == b"late"
            assert sw.injected["recv"] == 2


@gotest
@pytest.mark.parametrize("code", RETRY_ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("network", ["tcp", "unix", "udp"])
def test_write_retries(network: str, code: int, tmp_path: Path) -> None:
    with Switch() as sw:
        if network == "udp":
            c, peer = udp_pair()
        else:
            c, peer = pipe(network, local_address(network, tmp_path))
        with c, peer:
            guard(c, peer)
            sw.fail_next("send", code, times=3, when=on(c))
            assert c.write(b"world") == 5
            assert sw.injected["send"] == 3
            if network == "udp":
                data, _ = peer.read_from()  # type: ignore[union-attr]
                assert data == b"world"
            else:
                assert read_exactly(peer, 5) == b"world"  # type: ignore[arg-type]


@gotest
@pytest.mark.parametrize("code", RETRY_ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("network", ["udp", "unixgram"])
def test_packet_conn_retries(network: str, code: int, tmp_path: Path) -> None:
    with Switch() as sw:
        a = gonet.listen_packet(network, local_address(network, tmp_path))
        b = gonet.listen_packet(network, local_address(network, tmp_path))
        with a, b:
            guard(a, b)
            sw.fail_next("sendto", code, times=3)
            assert a.write_to(b"datagram", b.local_addr) == 8  # type: ignore[arg-type]
            assert sw.injected["sendto"] == 3
            wait_all_blocked()
            sw.fail_next("recvfrom", code, times=3)
            data, sender = b.read_from()
            assert data == b"datagram"
            assert str(sender) == str(a.local_addr)
            assert sw.injected["recvfrom"] == 3


@gotest
@pytest.mark.parametrize("code", RETRY_ERRNOS, ids=errno.errorcode.get)
def test_big_transfer_with_faults_every_few_calls(code: int) -> None:
    # 4 MiB written in one call and read in 7,919-byte pieces, with every third
    # send and every other recv failing (the first of each among them: when the
    # reader keeps up, the kernel may take the 4 MiB in two sends): partial writes,
    # retries and the READY latch interleave with real EAGAINs; nothing is lost or
    # duplicated.
    data = random.Random(3).randbytes(4 << 20)
    with Switch() as sw:
        c, s = pipe()
        with c, s:
            guard(c, s)
            counts = {"send": 0, "recv": 0}

            def every(kind: str, n: int, conn: gonet.Conn) -> Callable[[Call], Any]:
                sock = conn._pfd.sock

                def filt(call: Call) -> BaseException | None:
                    if call.sock is not sock:
                        return None
                    counts[kind] += 1
                    return make_error(code) if counts[kind] % n == 1 else None

                return filt

            sw.set("send", every("send", 3, c))
            sw.set("recv", every("recv", 2, s))
            w = gonet.go(c.write, data)
            h = hashlib.sha256()
            total = 0
            while total < len(data):
                piece = s.read(7919)
                assert piece
                h.update(piece)
                total += len(piece)
            assert w.join() == len(data)
            assert total == len(data)
            assert h.digest() == hashlib.sha256(data).digest()
            assert sw.injected["send"] > 0
            assert sw.injected["recv"] > 0


# --- connect ------------------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("code", RETRY_ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_connect_interrupted_via_switch(network: str, code: int, tmp_path: Path) -> None:
    # socktest starts the real connect when EINTR/EAGAIN is injected ("interrupted
    # before it started"); the dial completes on the in-progress path.
    with Switch() as sw, gonet.listen(network, local_address(network, tmp_path)) as ln:
        sw.fail_next("connect", code)
        g = gonet.go(ln.accept)
        with gonet.dial(network, str(ln.addr)) as c, g.join() as s:
            assert sw.injected["connect"] == 1
            assert s.remote_addr is None or str(s.remote_addr) == str(c.local_addr)


@gotest
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_connect_eintr_after_the_connect_started(network: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # What a signal really does to connect(2): the connection goes on in the kernel
    # and the call returns EINTR. Go (net/fd_unix.go) treats it like EINPROGRESS:
    # wait for writability, then read SO_ERROR.
    real_connect = net_hooks.connect_func
    real_getsockopt = net_hooks.getsockopt_int_func
    seen: list[int] = []

    def connect(sock: Any, addr: Any) -> int:
        seen.append(real_connect(sock, addr))
        return errno.EINTR

    def getsockopt(sock: Any, level: int, opt: int) -> int:
        seen.append(-1)
        return real_getsockopt(sock, level, opt)

    monkeypatch.setattr(net_hooks, "connect_func", connect)
    monkeypatch.setattr(net_hooks, "getsockopt_int_func", getsockopt)
    with gonet.listen(network, local_address(network, tmp_path)) as ln:
        g = gonet.go(ln.accept)
        with gonet.dial(network, str(ln.addr), timeout=GUARD) as c, g.join() as s:
            assert seen[0] in (0, errno.EINPROGRESS)
            assert -1 in seen  # SO_ERROR was consulted
            c.write(b"ok")
            guard(s)
            assert read_exactly(s, 2) == b"ok"


@gotest
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_connect_refused_injected(network: str, tmp_path: Path) -> None:
    with Switch() as sw, gonet.listen(network, local_address(network, tmp_path)) as ln:
        fds = len(open_fds())
        sw.fail_next("connect", errno.ECONNREFUSED)
        with pytest.raises(ConnectionRefusedError) as info:
            gonet.dial(network, str(ln.addr))
        assert str(info.value) == (f"[Errno {errno.ECONNREFUSED}] dial {network} {ln.addr}: "
                                   "connect: connection refused")
        assert len(open_fds()) == fds  # the socket was closed
        assert gonet.stats()["netpoll_fds"] == 1  # only the listener is registered


@gotest
def test_connect_so_error_reports_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The connect went in progress, and SO_ERROR then says it failed.
    calls: list[int] = []

    def getsockopt(sock: Any, level: int, opt: int) -> int:
        assert (level, opt) == (socket.SOL_SOCKET, socket.SO_ERROR)
        calls.append(opt)
        return errno.ECONNREFUSED

    with gonet.listen("tcp", "127.0.0.1:0") as ln:
        fds = len(open_fds())
        monkeypatch.setattr(net_hooks, "getsockopt_int_func", getsockopt)
        with pytest.raises(ConnectionRefusedError) as info:
            gonet.dial("tcp", str(ln.addr))
        assert calls  # the EINPROGRESS path was taken
        assert str(info.value) == (f"[Errno {errno.ECONNREFUSED}] dial tcp {ln.addr}: "
                                   "connect: connection refused")
        assert len(open_fds()) == fds


@gotest
@pytest.mark.parametrize("code", [errno.ENOBUFS, errno.EINTR], ids=errno.errorcode.get)
def test_connect_getsockopt_fails(code: int) -> None:
    # Go: "dial tcp 127.0.0.1:1234: getsockopt: no buffer space available"; the
    # socket is closed.
    with Switch() as sw, gonet.listen("tcp", "127.0.0.1:0") as ln:
        fds = len(open_fds())
        sw.fail_next("getsockopt", code)
        with pytest.raises(OSError) as info:
            gonet.dial("tcp", str(ln.addr))
        err = info.value
        assert sw.injected["getsockopt"] == 1
        assert err.errno == code
        text = os.strerror(code)
        text = text[0].lower() + text[1:]
        assert str(err) == f"[Errno {code}] dial tcp {ln.addr}: getsockopt: {text}"
        assert len(open_fds()) == fds
        assert gonet.stats()["netpoll_fds"] == 1


# --- socket and listen --------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("code,text", [
    (errno.EMFILE, "too many open files"),
    (errno.ENFILE, "too many open files in system"),
    (errno.EINTR, "interrupted system call"),
])
def test_dial_socket_fails(code: int, text: str) -> None:
    # Go does not retry socket(2) (it cannot return EINTR on Linux anyway); the
    # error names the syscall: "dial tcp 127.0.0.1:80: socket: too many open files".
    with Switch() as sw, gonet.listen("tcp", "127.0.0.1:0") as ln:
        sw.fail_next("socket", code)
        with pytest.raises(OSError) as info:
            gonet.dial("tcp", str(ln.addr))
        assert info.value.errno == code
        assert str(info.value) == f"[Errno {code}] dial tcp {ln.addr}: socket: {text}"
        assert sw.calls["connect"] == 0
        # The next dial works.
        g = gonet.go(ln.accept)
        with gonet.dial("tcp", str(ln.addr)), g.join():
            pass


@gotest
@pytest.mark.parametrize("kind,code,text", [
    ("socket", errno.EMFILE, "socket: too many open files"),
    ("listen", errno.EADDRINUSE, "listen: address already in use"),
    ("listen", errno.EINTR, "listen: interrupted system call"),
])
def test_listen_fails(kind: str, code: int, text: str) -> None:
    fds = len(open_fds())
    with Switch() as sw:
        sw.fail_next(kind, code)
        with pytest.raises(OSError) as info:
            gonet.listen("tcp", "127.0.0.1:0")
        assert info.value.errno == code
        assert str(info.value) == f"[Errno {code}] listen tcp 127.0.0.1:0: {text}"
    assert len(open_fds()) == fds
    assert gonet.stats()["netpoll_fds"] == 0


# --- ECONNABORTED and EMFILE on accept ----------------------------------------------------------


@gotest
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_accept_econnaborted_is_retried_silently(network: str, tmp_path: Path) -> None:
    with Switch() as sw, gonet.listen(network, local_address(network, tmp_path)) as ln:
        guard(ln)
        sw.fail_next("accept", errno.ECONNABORTED, times=3)
        g = gonet.go(ln.accept)
        wait_all_blocked()
        # Retried at once, without parking: the injected aborts are used up, and
        # the acceptor waits for a real connection.
        assert sw.injected["accept"] == 3
        assert not g.done()
        with gonet.dial(network, str(ln.addr)) as c, g.join() as s:
            c.write(b"real")
            guard(s)
            assert read_exactly(s, 4) == b"real"


@gotest
def test_accept_emfile_is_reported_and_connection_stays_pending() -> None:
    with Switch() as sw, gonet.listen("tcp", "127.0.0.1:0") as ln:
        c = gonet.dial("tcp", str(ln.addr))
        with c:
            sw.fail_next("accept", errno.EMFILE)
            with pytest.raises(OSError) as info:
                ln.accept()
            assert info.value.errno == errno.EMFILE
            assert str(info.value).startswith(f"[Errno {errno.EMFILE}] accept tcp {ln.addr}: ")
            assert str(info.value).endswith("too many open files")
            guard(ln)
            with ln.accept() as s:  # the connection waited in the backlog
                assert s.remote_addr == c.local_addr


def _greet(conn: gonet.Conn) -> None:
    conn.write(b"hello")


@gotest(clock=MockClock)
@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENFILE], ids=errno.errorcode.get)
def test_serve_backs_off_on_emfile(code: int, caplog: pytest.LogCaptureFixture) -> None:
    # Go's net/http: 5 ms, doubling, at most 1 s; no spinning; served once the
    # fault clears; the back-off starts over after a successful accept.
    caplog.set_level(logging.WARNING, logger="gonet")
    with Switch() as sw:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        stamps: list[float] = []

        def stamp(call: Call) -> None:
            stamps.append(gonet.monotonic())

        sw.set("accept", stamp)
        c1 = gonet.dial("tcp", str(ln.addr))  # pending in the backlog before serve starts
        sw.fail_next("accept", code, times=12)
        t0 = gonet.monotonic()
        srv = gonet.go(ln.serve, _greet)
        assert read_exactly(c1, 5) == b"hello"
        assert gonet.monotonic() - t0 == pytest.approx(5.275)  # 5+10+...+640 ms + 4 * 1 s
        gaps = [round(b - a, 6) for a, b in itertools.pairwise(stamps)]
        assert gaps[:12] == [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.0, 1.0, 1.0]
        # 12 failures and the accept that succeeded, plus at most two that found the
        # backlog empty and parked (the last ACK of a handshake may still be in flight).
        assert 13 <= sw.calls["accept"] <= 15
        assert sw.injected["accept"] == 12
        assert any(os.strerror(code).lower() in r.getMessage().lower() for r in caplog.records)

        # The back-off starts over at 5 ms.
        wait_all_blocked()
        del stamps[:]
        sw.fail_next("accept", code, times=2)
        t1 = gonet.monotonic()
        c2 = gonet.dial("tcp", str(ln.addr))
        assert read_exactly(c2, 5) == b"hello"
        assert gonet.monotonic() - t1 == pytest.approx(0.015)
        assert [round(b - a, 6) for a, b in itertools.pairwise(stamps[:3])] == [
            0.005, 0.01]
        ln.close()
        assert srv.join() is None  # serve returns once the listener is closed
        c1.close()
        c2.close()


# --- faults on close ----------------------------------------------------------------------------


@gotest
@pytest.mark.parametrize("code", [errno.EIO, errno.EINTR], ids=errno.errorcode.get)
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_close_fault_still_releases_descriptor(network: str, code: int, tmp_path: Path) -> None:
    # Go returns close(2)'s error from Close, wrapped: "close tcp a->b: input/output
    # error". The descriptor is gone either way (Linux releases it even on EINTR),
    # close(2) is not retried, and a second Close is a no-op.
    with Switch() as sw:
        c, s = pipe(network, local_address(network, tmp_path))
        with s:
            fd = c.fileno()
            npds = gonet.stats()["netpoll_fds"]
            closes = sw.calls["close"]  # pipe() closed its listener
            sw.fail_next("close", code, when=on(c))
            with pytest.raises(OSError) as info:
                c.close()
            assert info.value.errno == code
            assert sw.calls["close"] == closes + 1
            assert c.fileno() == -1
            assert fd not in open_fds()
            assert gonet.stats()["netpoll_fds"] == npds - 1
            c.close()  # idempotent
            assert sw.calls["close"] == closes + 1
            assert str(info.value).startswith(f"[Errno {code}] close {network} ")
            assert s.read() == b""  # the peer sees the close


@gotest
@pytest.mark.parametrize("op", ["read", "write", "accept"])
def test_close_fault_with_operation_in_flight(op: str) -> None:
    # When an operation holds the last reference, it closes the descriptor; Go's
    # readUnlock/writeUnlock ignore destroy's error, so the parked operation still
    # sees "use of closed network connection" and Close returns nil.
    with Switch() as sw:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        c, s = pipe()
        with s:
            big = bytes(32 << 20)
            target: Any = ln if op == "accept" else c
            fn = {"read": c.read, "write": lambda: c.write(big), "accept": ln.accept}[op]

            def run() -> BaseException | None:
                try:
                    fn()
                except BaseException as e:
                    return e
                return None

            g = gonet.go(run)
            wait_all_blocked()
            assert not g.done()
            fd = target.fileno()
            sw.fail_next("close", errno.EIO, when=lambda call: call.sock is target._fd.pfd.sock)
            target.close()  # must not raise: the in-flight operation did the close(2)
            err = g.join()
            assert isinstance(err, gonet.ClosedError), repr(err)
            assert "use of closed network connection" in str(err)
            if op == "write":
                assert 0 < err.written < len(big)
            assert sw.injected["close"] == 1
            assert fd not in open_fds()
            c.close()
            ln.close()


@gotest
def test_close_fault_while_serving() -> None:
    # serve returns when its listener is closed, even if close(2) fails underneath.
    with Switch() as sw:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        srv = gonet.go(ln.serve, _greet)
        wait_all_blocked()
        sw.fail_next("close", errno.EIO, when=on(ln))
        ln.close()
        assert srv.join() is None


@gotest
def test_unix_listener_close_fault_still_unlinks(tmp_path: Path) -> None:
    # Go's UnixListener.close unlinks the socket file first, then closes.
    path = tmp_path / "ln.sock"
    with Switch() as sw:
        ln = gonet.listen("unix", str(path))
        assert path.exists()
        sw.fail_next("close", errno.EIO, when=on(ln))
        with pytest.raises(OSError) as info:
            ln.close()
        assert info.value.errno == errno.EIO
        assert ln.fileno() == -1
        assert not path.exists()
        ln.close()
        assert str(info.value) == f"[Errno {errno.EIO}] close unix {path}: input/output error"


# --- real faults --------------------------------------------------------------------------------


@gotest
def test_peer_reset_mid_read() -> None:
    c, s = pipe()
    with c:
        guard(c)
        s.write(b"x" * 1000)
        assert read_exactly(c, 10) == b"x" * 10  # the reader is in the middle of the data
        got = [10]

        def reader() -> None:
            while True:
                data = c.read(7)
                assert data, "EOF instead of a reset"
                got[0] += len(data)

        g = gonet.go(reader)
        wait_all_blocked()  # it read what there was and parked
        assert got[0] == 1000
        linger_reset(s)
        with pytest.raises(ConnectionResetError) as info:
            g.join()
        err = info.value
        assert err.errno == errno.ECONNRESET
        assert str(err) == (f"[Errno {errno.ECONNRESET}] read tcp {c.local_addr}->"
                            f"{c.remote_addr}: read: connection reset by peer")


@gotest
def test_peer_reset_wakes_parked_reader_and_writer() -> None:
    c, s = pipe()
    with c:
        guard(c)
        big = bytes(32 << 20)
        r = gonet.go(lambda: c.read(100))
        w = gonet.go(lambda: c.write(big))
        wait_all_blocked()
        linger_reset(s)
        with pytest.raises(ConnectionResetError):
            r.join()
        with pytest.raises((ConnectionResetError, BrokenPipeError)) as info:
            w.join()
        assert 0 < info.value.written < len(big)  # type: ignore[attr-defined]


@gotest
def test_unix_peer_closes_with_unread_data_resets() -> None:
    # A unix stream socket closed with unread data resets its peer (Linux's
    # unix_release_sock), which is a ConnectionResetError for the reader.
    c, s = pipe("unix", f"@gonet-faults-{uuid.uuid4().hex[:8]}")
    with c:
        guard(c)
        c.write(b"never read")
        g = gonet.go(c.read)
        wait_all_blocked()
        s.close()
        with pytest.raises(ConnectionResetError, match="connection reset by peer"):
            g.join()


@gotest
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_peer_half_close(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with c, s:
        guard(c, s)
        g = gonet.go(c.read)
        wait_all_blocked()
        s.write(b"last words")
        s.close_write()
        assert g.join() == b"last words"
        assert c.read() == b""  # EOF, and it stays EOF
        assert c.read_into(bytearray(4)) == 0
        assert c.write(b"still here") == 10  # this side can still write
        assert read_exactly(s, 10) == b"still here"
        c.close_write()
        assert s.read() == b""


@gotest(clock=MockClock)
@pytest.mark.parametrize("network", ["tcp", "unix"])
def test_peer_stalls_write_deadline_frees_writer(network: str, tmp_path: Path) -> None:
    c, s = pipe(network, local_address(network, tmp_path))
    with s:
        big = random.Random(5).randbytes(32 << 20)
        t0 = gonet.monotonic()
        c.set_write_deadline(t0 + 2.0)
        with pytest.raises(gonet.DeadlineExceededError) as info:
            c.write(big)
        err = info.value
        assert gonet.monotonic() - t0 == pytest.approx(2.0)
        assert str(err) == f"write {network} {c.local_addr}->{c.remote_addr}: i/o timeout"
        written = err.written  # type: ignore[attr-defined]
        assert 0 < written < len(big)
        # Exactly the first ``written`` bytes are on their way to the peer.
        c.close()
        got = bytearray()
        while data := s.read():
            got += data
        assert bytes(got) == big[:written]


@gotest(clock=MockClock)
def test_close_races_with_everything() -> None:
    # Seeded rounds of goroutines reading, writing, changing deadlines, accepting
    # and closing one conn (and sometimes a listener) in random order. Each call
    # returns normally or raises ClosedError or DeadlineExceededError; nothing
    # hangs (the rounds are joined) and nothing leaks (gotest and fd checks).
    rng = random.Random(20240601)
    outcomes: dict[str, int] = {}
    documented = (gonet.ClosedError, gonet.DeadlineExceededError)
    main_ln = gonet.listen("tcp", "127.0.0.1:0")

    def note(key: str) -> None:
        outcomes[key] = outcomes.get(key, 0) + 1

    def deadline() -> float | None:
        return rng.choice([None, gonet.monotonic() - 1, gonet.monotonic() + rng.random() * 0.01,
                           gonet.monotonic() + 5])

    def step(fn: Callable[[], Any], yields: int) -> None:
        for _ in range(yields):
            gonet.gosched()
        try:
            result = fn()
        except documented as e:
            note(type(e).__name__)
            if isinstance(e, gonet.ClosedError):
                assert "use of closed network connection" in str(e)
            return
        if isinstance(result, gonet.Conn):  # an accepted conn
            result.close()
            note("accepted")
        elif result == b"" or (fn is read_into and result == 0):
            note("EOF")
        else:
            note("ok")

    def peer_loop(s: gonet.Conn, close_write: bool) -> None:
        # The peer drains until EOF; a reset from c's close is the peer's business.
        try:
            if close_write:
                s.write(b"z" * rng.randrange(1, 5000))
                s.close_write()
            while s.read(65536):
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass

    for rnd in range(300):
        g = gonet.go(main_ln.accept)
        c = gonet.dial("tcp", str(main_ln.addr))
        s = g.join()
        peer = gonet.go(peer_loop, s, rng.random() < 0.3)
        buf = bytearray(rng.choice([1, 100, 4096]))

        def read_into() -> int:
            return c.read_into(buf)  # noqa: B023

        ops: list[Callable[[], Any]] = [
            lambda: c.read(rng.choice([1, 512, 65536])),  # noqa: B023
            read_into,
            lambda: c.write(b"w" * rng.choice([1, 1000, 1 << 20])),  # noqa: B023
            lambda: c.set_deadline(deadline()),  # noqa: B023
            lambda: c.set_read_deadline(deadline()),  # noqa: B023
            lambda: c.set_write_deadline(deadline()),  # noqa: B023
        ]
        ln2: gonet.Listener | None = None
        if rnd % 5 == 0:
            ln2 = gonet.listen("tcp", "127.0.0.1:0")
            l2 = ln2
            ops += [l2.accept, l2.accept, lambda: l2.set_deadline(deadline())]  # noqa: B023
        gs = [gonet.go(step, rng.choice(ops), rng.randrange(4)) for _ in range(rng.randrange(3, 9))]
        closers = [gonet.go(step, c.close, rng.randrange(6))]
        if ln2 is not None:
            closers.append(gonet.go(step, ln2.close, rng.randrange(6)))
            if rng.random() < 0.5:
                try:
                    gonet.dial("tcp", str(ln2.addr)).close()
                except (ConnectionRefusedError, ConnectionResetError):
                    pass
        for g in gs + closers:
            g.join()
        peer.join()  # c is closed: the peer reads EOF (or a reset)
        s.close()
        assert c.closed()
        assert c.fileno() == -1
    main_ln.close()
    for key in ("ok", "accepted", "ClosedError", "DeadlineExceededError"):
        assert outcomes.get(key, 0) > 0, outcomes


# --- real descriptor exhaustion -----------------------------------------------------------------


@contextmanager
def exhausted_descriptors() -> Iterator[list[int]]:
    """exhausted_descriptors lowers the soft RLIMIT_NOFILE and fills every free slot below it.

    Restores the limit and closes the fillers on exit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    fillers: list[int] = []
    try:
        limit = max(open_fds()) + 4
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
        for _ in range(limit):
            try:
                fillers.append(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
            except OSError as e:
                assert e.errno == errno.EMFILE
                break
        yield fillers
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@gotest(clock=MockClock)
def test_serve_survives_real_descriptor_exhaustion(caplog: pytest.LogCaptureFixture) -> None:
    # accept4 really fails with EMFILE while every descriptor is taken; serve backs
    # off (not spinning) and serves the waiting client once descriptors are free.
    caplog.set_level(logging.WARNING, logger="gonet")
    with Switch() as sw:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        c = gonet.dial("tcp", str(ln.addr))  # waits in the backlog
        srv: gonet.Goroutine | None = None
        with exhausted_descriptors() as fillers:
            assert fillers
            with pytest.raises(OSError) as info:
                socket.socket()
            assert info.value.errno == errno.EMFILE
            t0 = gonet.monotonic()
            srv = gonet.go(ln.serve, _greet)
            gonet.sleep(0.1)  # virtual: serve retries at 0, 5, 15, 35 and 75 ms
            assert sw.calls["accept"] == 5
            assert not srv.done()
        # Descriptors are free again: the next retry (at 155 ms) serves the client.
        assert read_exactly(c, 5) == b"hello"
        assert gonet.monotonic() - t0 == pytest.approx(0.155)
        assert 6 <= sw.calls["accept"] <= 8  # one success, at most two that parked
        assert any("too many open files" in r.getMessage() for r in caplog.records)
        ln.close()
        srv.join()
        c.close()
