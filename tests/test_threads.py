"""A runtime's objects touched from other threads (issue 6, item 4).

``close()`` and the deadline setters of conns and listeners are safe from any
thread: they are handed to the owning runtime (without waiting) and wake the
goroutine parked on them at once, with no timer in the runtime to lean on;
every other operation raises ``RuntimeError`` naming the owning runtime,
whether or not it would have parked.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from tests.netutil import pipe

import gonet
from gonet.testing import wait_all_blocked

WAIT = 10.0  # a bound on thread joins: far above anything that works


def in_thread(fn: Callable[[], Any]) -> Any:
    """in_thread runs ``fn`` on a plain thread (the calling goroutine parks); returns or raises."""
    out: list[Any] = []

    def body() -> None:
        try:
            out.append((True, fn()))
        except BaseException as e:
            out.append((False, e))

    t = threading.Thread(target=body, name="plain-thread")
    t.start()
    gonet.blocking(t.join, WAIT)
    assert out, "thread did not finish"
    ok, value = out[0]
    if not ok:
        raise value
    return value


def _no_timers() -> None:
    assert gonet.stats()["timers"] == 0


# --- handed over: close and the deadline setters ---------------------------------------


def test_conn_close_from_a_thread_wakes_the_parked_reader_at_once() -> None:
    def main() -> float:
        c, s = pipe()
        reader = gonet.go(c.read, 100)
        wait_all_blocked()
        _no_timers()
        t = threading.Thread(target=c.close)
        start = time.monotonic()
        t.start()
        with pytest.raises(gonet.ClosedError):
            reader.join()  # nothing but the thread's close can wake it
        elapsed = time.monotonic() - start
        gonet.blocking(t.join, WAIT)
        assert c.closed()
        s.close()
        return elapsed

    assert gonet.run(main) < 2.0


def test_conn_close_from_a_thread_returns_at_once_and_the_owner_finishes_it() -> None:
    def main() -> None:
        c, s = pipe()
        reader = gonet.go(c.read, 100)
        wait_all_blocked()
        in_thread(c.close)  # queued to the owner: returns without waiting for it
        with pytest.raises(gonet.ClosedError):
            reader.join()
        assert c._pfd.sysfd == -1  # the reader's return released the descriptor
        in_thread(c.close)  # a second close from a thread: nothing to do
        s.close()

    gonet.run(main)


def test_thread_closing_while_the_runtime_thread_is_blocked_does_not_deadlock() -> None:
    # A goroutine that blocks the runtime's own thread in t.join() (instead of
    # gonet.blocking(t.join)) must not deadlock with the closing thread.
    def main() -> None:
        c, s = pipe()
        reader = gonet.go(c.read, 100)
        wait_all_blocked()
        t = threading.Thread(target=c.close)
        t.start()
        t.join(WAIT)  # the runtime thread is blocked here: nothing of it runs
        assert not t.is_alive()
        with pytest.raises(gonet.ClosedError):
            reader.join()
        s.close()

    gonet.run(main)


def test_from_thread_close_waits_until_the_descriptor_is_closed() -> None:
    def main() -> None:
        h = gonet.current_runtime()
        c, s = pipe()
        reader = gonet.go(c.read, 100)
        wait_all_blocked()

        def close_and_look() -> int:
            gonet.from_thread(h, c.close)
            return c._pfd.sysfd

        assert in_thread(close_and_look) == -1
        with pytest.raises(gonet.ClosedError):
            reader.join()
        s.close()

    gonet.run(main)


@pytest.mark.parametrize("setter", ["set_read_deadline", "set_deadline"])
def test_read_deadline_moved_into_the_past_from_a_thread_wakes_the_reader(setter: str) -> None:
    def main() -> None:
        c, s = pipe()
        with c, s:
            reader = gonet.go(c.read, 100)
            wait_all_blocked()
            _no_timers()
            in_thread(lambda: getattr(c, setter)(time.monotonic() - 1))
            with pytest.raises(gonet.DeadlineExceededError):
                reader.join()
            # The deadline is sticky; clearing it from a thread makes reads work again.
            in_thread(lambda: getattr(c, setter)(None))
            s.write(b"x")
            assert c.read(1) == b"x"

    gonet.run(main)


def test_read_deadline_in_the_future_set_from_a_thread_fires_on_the_runtime() -> None:
    def main() -> float:
        c, s = pipe()
        with c, s:
            reader = gonet.go(c.read, 100)
            wait_all_blocked()
            start = gonet.monotonic()
            in_thread(lambda: c.set_read_deadline(time.monotonic() + 0.05))
            assert gonet.stats()["timers"] == 1  # armed on the owning runtime
            with pytest.raises(gonet.DeadlineExceededError):
                reader.join()
            return gonet.monotonic() - start

    assert gonet.run(main) >= 0.05


def test_write_deadline_from_a_thread_wakes_a_writer_parked_on_a_full_buffer() -> None:
    def main() -> None:
        c, s = pipe()
        with c, s:
            writer = gonet.go(c.write, b"x" * (64 << 20))  # far more than the socket buffers
            wait_all_blocked()
            in_thread(lambda: c.set_write_deadline(time.monotonic() - 1))
            with pytest.raises(gonet.DeadlineExceededError) as ei:
                writer.join()
            assert 0 < ei.value.written < 64 << 20  # type: ignore[attr-defined]

    gonet.run(main)


def test_listener_close_from_a_thread_wakes_accept() -> None:
    def main() -> None:
        ln = gonet.listen("tcp", "127.0.0.1:0")
        acceptor = gonet.go(ln.accept)
        wait_all_blocked()
        in_thread(ln.close)
        with pytest.raises(gonet.ClosedError):
            acceptor.join()

    gonet.run(main)


def test_listener_closed_through_from_thread_frees_the_port_before_returning() -> None:
    def main() -> None:
        h = gonet.current_runtime()
        ln = gonet.listen("tcp", "127.0.0.1:0")
        port = ln.addr.port
        acceptor = gonet.go(ln.accept)
        wait_all_blocked()

        def close_then_bind() -> None:
            gonet.from_thread(h, ln.close)
            with socket.socket() as probe:  # the port is free again, at once
                probe.bind(("127.0.0.1", port))
                probe.listen()

        in_thread(close_then_bind)
        with pytest.raises(gonet.ClosedError):
            acceptor.join()

    gonet.run(main)


def test_listener_deadline_from_a_thread_wakes_accept() -> None:
    def main() -> None:
        with gonet.listen("tcp", "127.0.0.1:0") as ln:
            acceptor = gonet.go(ln.accept)
            wait_all_blocked()
            in_thread(lambda: ln.set_deadline(time.monotonic() - 1))
            with pytest.raises(gonet.DeadlineExceededError):
                acceptor.join()

    gonet.run(main)


def test_packet_conn_close_from_a_thread_wakes_read_from() -> None:
    def main() -> None:
        pc = gonet.listen_packet("udp", "127.0.0.1:0")
        reader = gonet.go(pc.read_from, 100)
        wait_all_blocked()
        in_thread(pc.close)
        with pytest.raises(gonet.ClosedError):
            reader.join()

    gonet.run(main)


def test_close_from_a_goroutine_of_another_runtime_parks_only_that_goroutine() -> None:
    def main() -> list[int]:
        c, s = pipe()
        reader = gonet.go(c.read, 100)
        wait_all_blocked()
        ticks: list[int] = []

        def other_runtime() -> None:
            def other_main() -> None:
                ticker = gonet.go(lambda: [ticks.append(i) or gonet.sleep(0.001) for i in range(5)])
                c.close()  # handed to the owner; this goroutine parks meanwhile
                ticker.join()

            gonet.run(other_main)

        t = threading.Thread(target=other_runtime)
        t.start()
        with pytest.raises(gonet.ClosedError):
            reader.join()
        gonet.blocking(t.join, WAIT)
        s.close()
        return ticks

    assert gonet.run(main) == [0, 1, 2, 3, 4]


@pytest.mark.leaves_goroutines  # relies on run()'s shutdown closing the conns
def test_close_and_deadlines_from_a_thread_after_shutdown() -> None:
    conns: list[gonet.Conn] = []

    def main() -> None:
        c, s = pipe()
        conns.extend((c, s))

    gonet.run(main)  # shutdown closes both
    c = conns[0]
    t_out: list[BaseException] = []

    def body() -> None:
        c.close()  # already closed by the shutdown: quietly nothing
        try:
            c.set_read_deadline(None)
        except BaseException as e:
            t_out.append(e)

    t = threading.Thread(target=body)
    t.start()
    t.join(WAIT)
    assert len(t_out) == 1 and isinstance(t_out[0], gonet.ClosedError)


# --- refused: every other operation -----------------------------------------------------


def _refuses(fn: Callable[[], Any]) -> str:
    with pytest.raises(RuntimeError) as ei:
        in_thread(fn)
    msg = str(ei.value)
    assert "belongs to gonet runtime" in msg and "MainThread" in msg, msg
    return msg


def test_conn_operations_from_a_plain_thread_raise_even_with_data_queued() -> None:
    def main() -> None:
        c, s = pipe()
        with c, s:
            s.write(b"queued data")
            wait_all_blocked()
            msg = _refuses(lambda: c.read(100))  # it would not even have parked
            assert "conn.read()" in msg and "'plain-thread'" in msg
            _refuses(lambda: c.read_into(bytearray(10)))
            _refuses(lambda: c.write(b"x"))
            _refuses(c.close_write)
            _refuses(lambda: c.set_nodelay(True))
            assert c.read(100) == b"queued data"  # untouched by the refused reads

    gonet.run(main)


def test_listener_and_packet_conn_operations_from_a_plain_thread_raise() -> None:
    def main() -> None:
        with gonet.listen("tcp", "127.0.0.1:0") as ln, \
                gonet.listen_packet("udp", "127.0.0.1:0") as pc:
            c = gonet.dial("tcp", str(ln.addr))
            wait_all_blocked()
            assert "listener.accept()" in _refuses(ln.accept)
            pc.write_to(b"dgram", pc.local_addr)
            _refuses(lambda: pc.read_from(100))
            _refuses(lambda: pc.write_to(b"x", pc.local_addr))
            assert pc.read_from(100)[0] == b"dgram"
            s = ln.accept()
            c.close()
            s.close()

    gonet.run(main)


def test_conn_read_inside_blocking_raises_whether_or_not_data_is_queued() -> None:
    def main() -> None:
        c, s = pipe()
        with c, s:
            for queued in (False, True):
                if queued:
                    s.write(b"data")
                    wait_all_blocked()
                with pytest.raises(RuntimeError, match=r"blocking\(\) worker"):
                    gonet.blocking(c.read, 10)
            assert c.read(10) == b"data"

    gonet.run(main)


def test_channels_of_a_runtime_from_a_plain_thread_raise() -> None:
    def main() -> None:
        ch: gonet.Chan[int] = gonet.Chan(10)
        ch.send(1)
        msg = _refuses(lambda: ch.try_send(2))
        assert "channel.send()" in msg and "from_thread" in msg
        _refuses(ch.try_recv)
        _refuses(ch.recv)
        _refuses(lambda: ch.send(3))
        _refuses(ch.close)
        _refuses(lambda: gonet.select(ch, default=True))
        other: gonet.Chan[int] = gonet.Chan()
        _refuses(lambda: gonet.select(ch, other, default=True))  # select's two-receive path
        assert ch.try_recv() == (1, True, True) and len(ch) == 0

    gonet.run(main)


def test_channel_of_runtime_a_used_by_runtime_b_raises() -> None:
    errors: list[BaseException] = []

    def main() -> None:
        ch: gonet.Chan[int] = gonet.Chan(10)  # owned by this runtime from its creation

        def runtime_b() -> None:
            def b_main() -> None:
                for op in (lambda: ch.try_send(1), ch.try_recv,
                           lambda: gonet.select(ch, ch, default=True), ch.close):
                    try:
                        op()
                    except RuntimeError as e:
                        errors.append(e)

            gonet.run(b_main)

        t = threading.Thread(target=runtime_b, name="runtime-b")
        t.start()
        gonet.blocking(t.join, WAIT)
        assert not ch.closed and len(ch) == 0

    gonet.run(main)
    assert len(errors) == 4, errors
    assert all("the thread of gonet runtime" in str(e) and "'runtime-b'" in str(e)
               for e in errors), errors


def test_mutex_waitgroup_goroutine_and_go_from_a_plain_thread_raise() -> None:
    def main() -> None:
        mu = gonet.Mutex()
        mu.lock()
        wg = gonet.WaitGroup()
        wg.add(1)
        _refuses(mu.unlock)
        _refuses(mu.try_lock)
        _refuses(wg.done)
        _refuses(wg.wait)
        g = gonet.go(gonet.sleep, 0.001)
        _refuses(g.join)
        with pytest.raises(RuntimeError, match="no runtime on this thread"):
            in_thread(lambda: gonet.go(print))
        mu.unlock()
        wg.done()
        g.join()

    gonet.run(main)


def test_objects_of_a_finished_runtime_are_free_to_use() -> None:
    # Once its runtime has shut down, nothing can race: a channel is just data.
    def main() -> gonet.Chan[int]:
        ch: gonet.Chan[int] = gonet.Chan(2)
        ch.send(1)
        return ch

    ch = gonet.run(main)
    assert ch.try_recv() == (1, True, True)
    assert gonet.run(lambda: (ch.send(5), ch.recv())[1]) == 5  # a new runtime adopts it
    # ... and a select of two, one runtime's channel and another's, adopts both
    ch.send(6)
    other = gonet.run(gonet.Chan)
    assert gonet.run(lambda: gonet.select(ch, other)) == (0, 6, True)
