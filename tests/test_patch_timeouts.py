"""A patched socket's timeout: a deadline per wait that leaves nothing armed behind it.

redis-py (``socket_timeout=5``) and most clients set a timeout once and then
wait on every reply. Each wait arms the pollDesc's deadline timer and disarms
it when the data comes (``Netpoll.wait_until``); the timer keeps its heap
entry between waits (``timers.TimerHeap``), so the heap does not grow with
the number of waits, and a wait that timed out leaves no expired deadline for
the next one.
"""

from __future__ import annotations

import socket

import pytest

import gonet
from gonet._runtime.g import current_sched
from gonet.testing import wait_all_blocked
from patchpeers import patched

__all__ = ["patched"]

pytestmark = pytest.mark.timeout(30)


def test_reply_waits_with_a_timeout_leave_no_timer_and_keep_the_heap_small(patched: None) -> None:
    def main() -> None:
        a, b = socket.socketpair()
        with a, b:
            a.settimeout(5.0)
            b.settimeout(5.0)
            ask: gonet.Chan = gonet.Chan(1)

            def peer() -> None:
                for _ in range(500):
                    ask.recv()  # the reader is about to wait: answer now
                    b.sendall(b"x")

            g = gonet.go(peer)
            rt = current_sched()
            for _ in range(500):
                ask.send(None)
                assert a.recv(1) == b"x"  # parks (nothing arrived yet), woken by the data
                assert gonet.stats()["timers"] == 0  # the deadline went with the wait
            g.join()
            assert len(rt.timers.heap) <= 4  # entries reused, not one per wait

    gonet.run(main)


def test_timed_out_wait_leaves_no_expired_deadline_for_the_next_one(patched: None) -> None:
    def main() -> None:
        a, b = socket.socketpair()
        with a, b:
            a.settimeout(0.05)
            with pytest.raises(socket.timeout):
                a.recv(1)
            assert gonet.stats()["timers"] == 0
            a.settimeout(None)  # no deadline: the next wait must park, not time out
            done: gonet.Chan = gonet.Chan(1)

            def reader() -> None:
                done.send(a.recv(1))

            g = gonet.go(reader)
            wait_all_blocked()  # parked: an expired deadline left behind would have failed it
            assert not g.done()
            b.sendall(b"y")
            assert done.recv() == b"y"
            g.join()
            a.settimeout(5.0)  # and a later deadline works again
            b.sendall(b"z")
            assert a.recv(1) == b"z"

    gonet.run(main)
