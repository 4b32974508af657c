"""The socket file of a unix listener or datagram socket: removed once, on close, only if ours (issue 7).

Go's ``UnixListener.close`` unlinks the path once, then closes; gonet does
it in one place (``UnixPathFD.close``) for every socket whose ``bind`` created a
file, and never removes a path it did not create: a file that replaced ours,
a file listener's path, a path whose ``listen`` failed, a forked child's copy.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import sys
import traceback
from pathlib import Path

import pytest

import gonet
from gonet.testing import gotest, socktest, wait_all_blocked


def is_socket(path: Path) -> bool:
    return path.exists() and stat.S_ISSOCK(path.lstat().st_mode)


@gotest
@pytest.mark.parametrize("network", ["unix", "unixpacket"])
def test_listener_close_removes_its_socket_file(tmp_path: Path, network: str) -> None:
    path = tmp_path / "l.sock"
    ln = gonet.listen(network, str(path))
    assert is_socket(path)
    ln.close()
    assert not path.exists()


@gotest
def test_datagram_socket_close_removes_its_socket_file(tmp_path: Path) -> None:
    path = tmp_path / "g.sock"
    pc = gonet.listen_packet("unixgram", str(path))
    assert is_socket(path)
    pc.close()
    assert not path.exists()


@gotest
def test_second_close_removes_nothing(tmp_path: Path) -> None:
    # Removed once: a close after the first leaves a new file at the path alone.
    path = tmp_path / "once.sock"
    ln = gonet.listen("unix", str(path))
    ln.close()
    path.write_text("a new file at the same path")
    ln.close()
    assert path.read_text() == "a new file at the same path"


@gotest
def test_concurrent_closes_remove_once(tmp_path: Path) -> None:
    path = tmp_path / "race.sock"
    ln = gonet.listen("unix", str(path))
    accepting = gonet.go(ln.accept)
    wait_all_blocked()
    closers = [gonet.go(ln.close) for _ in range(3)]
    for g in closers:
        g.join()
    with pytest.raises(gonet.ClosedError):
        accepting.join()
    assert not path.exists()


@gotest
@pytest.mark.parametrize("replacement", ["regular file", "another socket"])
def test_close_leaves_a_file_that_replaced_ours(tmp_path: Path, replacement: str) -> None:
    path = tmp_path / "r.sock"
    ln = gonet.listen("unix", str(path))
    path.unlink()  # someone removed our file and put another in its place
    other = None
    if replacement == "regular file":
        path.write_text("not ours")
    else:
        other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        other.bind(str(path))
    try:
        ln.close()
        assert path.exists(), "close removed a file it did not create"
    finally:
        if other is not None:
            other.close()


@gotest
def test_relative_path_after_chdir_is_not_removed_elsewhere(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    monkeypatch.chdir(a)
    ln = gonet.listen("unix", "rel.sock")
    monkeypatch.chdir(b)
    (b / "rel.sock").write_text("a different file with the same relative name")
    ln.close()
    assert (b / "rel.sock").exists()
    assert is_socket(a / "rel.sock")  # ours: its path no longer names it, so it stays
    (a / "rel.sock").unlink()


@gotest
def test_failed_listen_removes_the_file_its_bind_created(tmp_path: Path) -> None:
    path = tmp_path / "f.sock"
    with socktest.Switch() as sw:
        sw.fail_next("listen", errno.ENOBUFS)
        with pytest.raises(OSError) as info:
            gonet.listen("unix", str(path))
    assert info.value.errno == errno.ENOBUFS
    assert not path.exists()


@gotest
def test_file_listener_does_not_remove_the_path(tmp_path: Path) -> None:
    path = tmp_path / "fl.sock"
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        raw.bind(str(path))
        raw.listen()
        gonet.file_listener(raw).close()
        assert is_socket(path)
    finally:
        raw.close()


@gotest
def test_abstract_names_have_no_file() -> None:
    ln = gonet.listen("unix", "@gonet-socket-file-test")
    assert str(ln.addr) == "@gonet-socket-file-test"
    ln.close()


def test_forked_childs_close_leaves_the_parents_file(tmp_path: Path) -> None:
    path = tmp_path / "fork.sock"

    def main() -> None:
        with gonet.listen("unix", str(path)) as ln:
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    ln.close()  # the child's copy: the file is still the parent's
                    code = 0
                except BaseException:
                    traceback.print_exc()
                finally:
                    sys.stderr.flush()
                    os._exit(code)
            _, status = gonet.blocking(os.waitpid, pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
            assert is_socket(path)
            g = gonet.go(ln.accept)
            with gonet.dial("unix", str(path)), g.join():
                pass
        assert not path.exists()

    gonet.run(main)
