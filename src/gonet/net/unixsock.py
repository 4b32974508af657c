"""The file of a unix socket bound to a path, removed on close (Go's ``net/unixsock_posix.go``).

Binding a unix stream, seqpacket or datagram socket to a path creates a
socket file that the kernel never removes. Go's ``UnixListener.close`` removes
it — once, before closing the descriptor — when ``net`` created it
(``ListenUnix``; not ``FileListener``). gonet does it in one place,
:meth:`UnixPathFD.close`, for every socket whose ``bind`` created a file:
listeners and datagram sockets alike. ``UnixPathFD`` is the netFD of a unix
socket bound by gonet; other sockets (every connection) are plain netFDs,
without the extra slot.

One step beyond Go: the file is removed only while the path still names the
file that ``bind`` created (same device and inode). A socket file another
process put there after ours was removed, a path that now resolves elsewhere
(a relative path after ``chdir``) or a regular file is left alone: gonet never
removes a path it did not create. A forked child's copy of a listener (its
runtime abandoned, see ``_runtime/fork.py``) leaves the parent's file alone too.
"""

from __future__ import annotations

import os
import stat
from typing import Any

from .fd_unix import NetFD

__all__ = ["SocketFile", "UnixPathFD"]


class SocketFile:
    """SocketFile is the socket file a ``bind`` created: its path and identity (device, inode)."""

    __slots__ = ("dev", "ino", "path")

    def __init__(self, path: Any, dev: int, ino: int) -> None:
        self.path = path
        self.dev = dev
        self.ino = ino

    def __repr__(self) -> str:
        return f"<SocketFile {self.path!r} ino={self.ino}>"

    @classmethod
    def bound(cls, sockaddr: Any) -> SocketFile | None:
        """bound is the file a successful ``bind`` to unix socket address ``sockaddr`` created.

        None for the abstract namespace (``\\0name``: no file), an unnamed
        socket, or a path that is no socket file by now.
        """
        if isinstance(sockaddr, (str, bytes)) and sockaddr and sockaddr[:1] not in ("\0", b"\0"):
            try:
                st = os.lstat(sockaddr)
            except OSError:
                return None
            if stat.S_ISSOCK(st.st_mode):
                return cls(sockaddr, st.st_dev, st.st_ino)
        return None

    def remove(self) -> None:
        """remove unlinks the path if it still names this file; errors are ignored, as Go ignores them."""
        try:
            st = os.lstat(self.path)
            if (st.st_dev, st.st_ino) == (self.dev, self.ino):
                os.unlink(self.path)
        except OSError:
            pass


class UnixPathFD(NetFD):
    """UnixPathFD is the netFD of a unix socket gonet binds to a name; close removes its file."""

    __slots__ = ("socket_file",)

    def __init__(self, sock: Any, family: int, sotype: int, net: str) -> None:
        super().__init__(sock, family, sotype, net)
        #: The file this socket's bind created (None: none, or already removed).
        self.socket_file: SocketFile | None = None

    def bound(self, sockaddr: Any) -> None:
        """bound records the file a successful ``bind`` to ``sockaddr`` created."""
        self.socket_file = SocketFile.bound(sockaddr)

    def close(self) -> None:
        """close removes the socket file, on the first close only, then closes (Go's ``UnixListener.close``).

        A forked child's copy (its runtime abandoned) leaves the parent's file alone.
        """
        sf = self.socket_file
        if sf is not None:
            self.socket_file = None
            if not self.pfd.rt.abandoned:
                sf.remove()
        super().close()
