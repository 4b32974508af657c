"""Go's newTCPConn: dialed and accepted TCP conns are set up alike (issue 7).

``TCP_NODELAY`` on, keep-alive probes as the ``keepalive`` argument says
(``None`` or negative: off; 0: Go's 15 s default; otherwise that period), for
``dial``, ``Listener.accept`` and a file listener's ``accept`` alike.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

import gonet
from gonet.testing import gotest


def options(conn: gonet.Conn) -> tuple[bool, bool, int | None]:
    """(TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE if keep-alive is on) of a conn's socket."""
    sock = conn._pfd.sock
    keepalive = bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))
    idle = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) if keepalive else None
    interval = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) if keepalive else None
    assert idle == interval, "probes start after one period and repeat every period"
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)), keepalive, idle


CASES = [
    ({}, (True, True, 15)),  # the default: Go's defaultTCPKeepAlive
    ({"keepalive": 0}, (True, True, 15)),
    ({"keepalive": 20}, (True, True, 20)),
    ({"keepalive": 2.5}, (True, True, 3)),  # whole seconds, rounded up
    ({"keepalive": -1}, (True, False, None)),
    ({"keepalive": None}, (True, False, None)),
]


@gotest
@pytest.mark.parametrize(("kwargs", "want"), CASES)
def test_dialed_and_accepted_tcp_conns_are_set_up_alike(kwargs: dict[str, Any],
                                                        want: tuple[bool, bool, int | None]) -> None:
    with gonet.listen("tcp", "127.0.0.1:0", **kwargs) as ln:
        g = gonet.go(ln.accept)
        with gonet.dial("tcp", str(ln.addr), **kwargs) as c, g.join() as s:
            assert options(c) == want
            assert options(s) == want


@gotest
@pytest.mark.parametrize(("kwargs", "want"), CASES)
def test_file_listener_accepts_like_listen(kwargs: dict[str, Any],
                                           want: tuple[bool, bool, int | None]) -> None:
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        raw.bind(("127.0.0.1", 0))
        raw.listen()
        with gonet.file_listener(raw, **kwargs) as ln:
            g = gonet.go(ln.accept)
            with gonet.dial("tcp", str(ln.addr)), g.join() as s:
                assert options(s) == want
    finally:
        raw.close()


@gotest
def test_unix_conns_get_no_tcp_options(tmp_path: Any) -> None:
    path = str(tmp_path / "t.sock")
    with gonet.listen("unix", path) as ln:
        g = gonet.go(ln.accept)
        with gonet.dial("unix", path) as c, g.join() as s:
            for conn in (c, s):
                with pytest.raises(OSError):  # not a TCP socket: the options do not exist
                    conn._pfd.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                assert not conn._pfd.sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
