"""Helpers shared by the network tests: connected pairs and resets."""

from __future__ import annotations

import socket
import struct

import gonet


def pipe(network: str = "tcp", address: str = "127.0.0.1:0") -> tuple[gonet.Conn, gonet.Conn]:
    """pipe returns a connected (client, server) pair; the listener is already closed."""
    with gonet.listen(network, address) as ln:
        g = gonet.go(ln.accept)
        c = gonet.dial(network, str(ln.addr))
        s = g.join()
    return c, s


def linger_reset(conn: gonet.Conn) -> None:
    """linger_reset closes ``conn`` with SO_LINGER 0, so the peer gets a RST."""
    conn._pfd.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
