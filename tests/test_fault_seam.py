"""socktest's faults reach the compiled recv/send helpers too (issue 7).

Sockets wrapped by ``gonet.testing.socktest`` used to be served by the plain
helpers even in the compiled build, so the C syscall helpers were never
fault-injected. Now every socket takes the same helpers; compiled, they ask
the wrapper (``FaultSocket.inject``) before each syscall. These tests run in
both builds and must behave the same.
"""

from __future__ import annotations

import errno

import pytest

from gonet.testing import gotest
from gonet.testing.socktest import Switch
from netutil import pipe


@gotest
def test_injected_recv_eagain_retries_and_reset_fails() -> None:
    with Switch() as sw:
        a, b = pipe()
        try:
            a.write(b"hello")
            sw.fail_next("recv", errno.EAGAIN, times=3)
            assert b.read(100) == b"hello"  # three injected EAGAINs, each latched READY
            assert sw.injected["recv"] == 3
            sw.fail_next("recv", errno.ECONNRESET)
            a.write(b"more")
            with pytest.raises(ConnectionResetError) as ei:
                b.read(100)
            assert "read tcp" in str(ei.value)  # the owner's (net layer's) message
            assert b.read(100) == b"more"  # the injected reset consumed nothing
            buf = bytearray(10)
            a.write(b"into")
            sw.fail_next("recv", errno.EINTR)
            assert b.read_into(buf) == 4 and buf[:4] == b"into"
        finally:
            a.close()
            b.close()


@gotest
def test_injected_send_fault_carries_written() -> None:
    with Switch() as sw:
        a, b = pipe()
        try:
            sw.fail_next("send", errno.EAGAIN, times=2)
            assert a.write(b"abc") == 3
            assert b.read(10) == b"abc"
            sw.fail_next("send", errno.EPIPE)
            with pytest.raises(BrokenPipeError) as ei:
                a.write(b"xyz")
            assert getattr(ei.value, "written", None) == 0
            assert "write tcp" in str(ei.value)
            assert sw.injected["send"] == 3
            assert a.write(b"ok") == 2 and b.read(10) == b"ok"
        finally:
            a.close()
            b.close()

