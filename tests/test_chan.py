"""Channels, select and after (ports the behaviours of Go's runtime/chan_test.go that apply)."""

from __future__ import annotations

from typing import Any

import pytest

import gonet
from gonet.testing import MockClock, gotest, run_test, wait_all_blocked

# --- construction ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None])
def test_chan_bad_capacity_raises_value_error(bad: Any) -> None:
    with pytest.raises(ValueError):
        gonet.Chan(bad)


def test_chan_len_and_capacity() -> None:
    # Creating and filling a buffered channel needs no parking, so no runtime either.
    ch: gonet.Chan[int] = gonet.Chan(3)
    assert ch.capacity == 3
    assert len(ch) == 0
    assert gonet.Chan().capacity == 0
    assert len(gonet.Chan()) == 0


# --- unbuffered: rendezvous ----------------------------------------------------------------


@gotest
def test_unbuffered_send_parks_until_received() -> None:
    ch: gonet.Chan[str] = gonet.Chan()
    log: list[str] = []

    def sender() -> None:
        log.append("send start")
        ch.send("x")
        log.append("send done")

    g = gonet.go(sender)
    wait_all_blocked()
    # The sender is parked in send: nobody has received yet.
    assert log == ["send start"]
    assert not g.done()
    assert len(ch) == 0  # an unbuffered channel never buffers
    assert len(ch.sendq) == 1
    assert gonet.stats()["waiting"].get("chan send") == 1
    log.append("recv")
    assert ch.recv() == "x"
    g.join()
    assert log == ["send start", "recv", "send done"]
    assert len(ch.sendq) == 0


@gotest
def test_unbuffered_recv_parks_until_sent() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    got: list[int] = []
    g = gonet.go(lambda: got.append(ch.recv()))
    wait_all_blocked()
    assert got == []
    assert gonet.stats()["waiting"].get("chan receive") == 1
    ch.send(7)  # a receiver waits: the send hands the value over without parking
    g.join()
    assert got == [7]


@gotest
def test_waiting_receivers_are_served_in_fifo_order() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    got: dict[int, int] = {}

    def receiver(i: int) -> None:
        got[i] = ch.recv()

    gs = []
    for i in range(5):
        gs.append(gonet.go(receiver, i))
        wait_all_blocked()  # each one parks before the next arrives
    for v in range(5):
        ch.send(100 + v)
    for g in gs:
        g.join()
    assert got == {i: 100 + i for i in range(5)}


@gotest
def test_waiting_senders_are_served_in_fifo_order() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    gs = []
    for i in range(5):
        gs.append(gonet.go(ch.send, i))
        wait_all_blocked()
    assert len(ch.sendq) == 5
    assert [ch.recv() for _ in range(5)] == [0, 1, 2, 3, 4]
    for g in gs:
        g.join()


# --- buffered ------------------------------------------------------------------------------


@gotest
def test_buffered_fifo_and_len() -> None:
    ch: gonet.Chan[int] = gonet.Chan(4)
    for i in range(4):
        ch.send(i)  # never parks while there is room
        assert len(ch) == i + 1
    assert ch.capacity == 4
    assert [ch.recv() for _ in range(4)] == [0, 1, 2, 3]
    assert len(ch) == 0


@gotest
def test_buffered_fifo_while_the_buffer_wraps_and_grows() -> None:
    # The buffer is a ring grown on demand up to capacity: order must hold when it
    # grows with its oldest value in the middle, and when it is full at capacity 37
    # (not a power of two) and keeps wrapping.
    ch: gonet.Chan[int] = gonet.Chan(37)
    expect: list[int] = []
    got: list[int] = []
    nxt = 0
    for burst, take in [(5, 3), (15, 2), (22, 30), (30, 37), (30, 11), (18, 37)]:
        for _ in range(burst):
            ch.send(nxt)
            expect.append(nxt)
            nxt += 1
        assert len(ch) == len(expect) - len(got)
        for _ in range(take):
            got.append(ch.recv())
    assert got == expect[:len(got)]
    assert len(ch) == 0
    assert ch.try_recv() == (None, False, False)


@gotest
def test_buffer_keeps_no_reference_to_received_values() -> None:
    import weakref

    class Box:
        pass

    ch: gonet.Chan[Box] = gonet.Chan(4)
    b = Box()
    ref = weakref.ref(b)
    ch.send(b)
    del b
    assert ref() is not None  # held by the buffer
    ch.recv()  # the value is dropped at once (the statement's result)
    assert ref() is None


@gotest
def test_huge_capacity_allocates_on_demand() -> None:
    ch: gonet.Chan[int] = gonet.Chan(10**12)  # would be terabytes if allocated up front
    for i in range(100):
        ch.send(i)
    assert [ch.recv() for _ in range(100)] == list(range(100))
    assert ch.capacity == 10**12


@gotest
def test_buffered_send_to_full_chan_parks() -> None:
    ch: gonet.Chan[int] = gonet.Chan(2)
    ch.send(1)
    ch.send(2)
    g = gonet.go(ch.send, 3)
    wait_all_blocked()
    assert not g.done()
    assert len(ch) == 2
    # Receiving frees a slot and moves the oldest parked sender's value in: FIFO holds.
    assert ch.recv() == 1
    g.join()
    assert len(ch) == 2
    assert [ch.recv(), ch.recv()] == [2, 3]


@gotest
def test_buffered_fifo_across_buffer_and_parked_senders() -> None:
    ch: gonet.Chan[int] = gonet.Chan(2)
    gs = [gonet.go(ch.send, i) for i in range(6)]
    wait_all_blocked()
    assert len(ch) == 2
    assert len(ch.sendq) == 4
    assert list(ch_take(ch, 6)) == [0, 1, 2, 3, 4, 5]
    for g in gs:
        g.join()


def ch_take(ch: gonet.Chan[int], n: int) -> list[int]:
    return [ch.recv() for _ in range(n)]


@gotest
def test_recv_from_empty_buffered_chan_parks() -> None:
    ch: gonet.Chan[int] = gonet.Chan(3)
    g = gonet.go(ch.recv)
    wait_all_blocked()
    assert not g.done()
    ch.send(9)
    assert g.join() == 9


# --- close ---------------------------------------------------------------------------------


@gotest
def test_close_wakes_all_receivers() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    gs = [gonet.go(ch.recv_ok) for _ in range(5)]
    wait_all_blocked()
    assert len(ch.recvq) == 5
    ch.close()
    assert [g.join() for g in gs] == [(None, False)] * 5
    assert len(ch.recvq) == 0


@gotest
def test_close_wakes_receivers_with_chan_closed_error() -> None:
    ch: gonet.Chan[int] = gonet.Chan(1)
    errors: list[BaseException] = []

    def receiver() -> None:
        try:
            ch.recv()
        except gonet.ChanClosedError as e:
            errors.append(e)

    gs = [gonet.go(receiver) for _ in range(3)]
    wait_all_blocked()
    ch.close()
    for g in gs:
        g.join()
    assert len(errors) == 3
    assert all(isinstance(e, gonet.ChanClosedError) for e in errors)


@gotest
def test_close_buffered_values_drained_first() -> None:
    ch: gonet.Chan[int] = gonet.Chan(3)
    ch.send(1)
    ch.send(2)
    ch.close()
    assert ch.closed
    assert len(ch) == 2
    assert ch.recv() == 1
    assert ch.recv_ok() == (2, True)
    assert ch.recv_ok() == (None, False)
    with pytest.raises(gonet.ChanClosedError):
        ch.recv()
    with pytest.raises(gonet.ChanClosedError):
        ch.recv()  # stays closed: every later receive raises too


@gotest
def test_send_on_closed_chan_raises() -> None:
    for cap in (0, 1):
        ch: gonet.Chan[int] = gonet.Chan(cap)
        ch.close()
        with pytest.raises(gonet.ChanClosedError):
            ch.send(1)
        assert len(ch) == 0


@gotest
def test_double_close_raises() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    ch.close()
    with pytest.raises(gonet.ChanClosedError):
        ch.close()


def test_chan_closed_error_is_an_exception() -> None:
    assert issubclass(gonet.ChanClosedError, Exception)


@gotest
def test_sender_parked_when_channel_closes_raises() -> None:
    for cap in (0, 2):
        ch: gonet.Chan[int] = gonet.Chan(cap)
        for i in range(cap):
            ch.send(i)
        outcome: list[str] = []

        def sender(ch: gonet.Chan[int] = ch, outcome: list[str] = outcome) -> None:
            try:
                ch.send(99)
                outcome.append("sent")
            except gonet.ChanClosedError:
                outcome.append("closed")

        gs = [gonet.go(sender) for _ in range(3)]
        wait_all_blocked()
        assert outcome == []
        ch.close()
        for g in gs:
            g.join()
        assert outcome == ["closed"] * 3
        assert len(ch.sendq) == 0
        # The buffered values sent before close are still delivered; the parked ones are not.
        assert list(ch) == list(range(cap))


@gotest
def test_iteration_ends_at_close() -> None:
    ch: gonet.Chan[int] = gonet.Chan(2)

    def producer() -> None:
        for i in range(10):
            ch.send(i)
        ch.close()

    g = gonet.go(producer)
    assert list(ch) == list(range(10))
    g.join()
    assert list(ch) == []  # a closed, drained channel iterates as empty


@gotest
def test_recv_ok() -> None:
    ch: gonet.Chan[int | None] = gonet.Chan(2)
    ch.send(0)
    ch.send(None)  # a real None value is told apart from the closed channel by ok
    ch.close()
    assert ch.recv_ok() == (0, True)
    assert ch.recv_ok() == (None, True)
    assert ch.recv_ok() == (None, False)


@gotest
def test_close_unblocks_parked_recv_ok() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    g = gonet.go(ch.recv_ok)
    wait_all_blocked()
    ch.close()
    assert g.join() == (None, False)


# --- many goroutines -----------------------------------------------------------------------


@pytest.mark.parametrize("cap", [0, 1, 7])
@gotest
def test_many_producers_consumers_checksum(cap: int) -> None:
    """Go's TestMultiConsumer, scaled down: every value arrives exactly once."""
    nprod, ncons, per = 7, 5, 300
    work: gonet.Chan[int] = gonet.Chan(cap)
    results: gonet.Chan[list[int]] = gonet.Chan(ncons)
    pwg = gonet.WaitGroup()

    def producer(p: int) -> None:
        try:
            for i in range(per):
                work.send(p * per + i)
                if i % 17 == 0:
                    gonet.gosched()
        finally:
            pwg.done()

    def consumer(c: int) -> None:
        got = []
        for v in work:
            got.append(v)
            if v % (c + 3) == 0:
                gonet.gosched()
        results.send(got)

    pwg.add(nprod)
    cs = [gonet.go(consumer, c) for c in range(ncons)]
    ps = [gonet.go(producer, p) for p in range(nprod)]
    pwg.wait()
    work.close()
    everything: list[int] = []
    for _ in range(ncons):
        everything.extend(results.recv())
    for g in cs + ps:
        g.join()
    n = nprod * per
    assert len(everything) == n
    assert sum(everything) == n * (n - 1) // 2
    assert sorted(everything) == list(range(n))


@gotest
def test_per_producer_order_is_preserved() -> None:
    """One consumer sees each producer's values in the order that producer sent them."""
    ch: gonet.Chan[tuple[int, int]] = gonet.Chan(3)
    wg = gonet.WaitGroup()

    def producer(p: int) -> None:
        for i in range(200):
            ch.send((p, i))
        wg.done()

    wg.add(4)
    gs = [gonet.go(producer, p) for p in range(4)]
    closer = gonet.go(lambda: (wg.wait(), ch.close()))
    last = {p: -1 for p in range(4)}
    count = 0
    for p, i in ch:
        assert i == last[p] + 1
        last[p] = i
        count += 1
    assert count == 800
    for g in [*gs, closer]:
        g.join()


# --- select --------------------------------------------------------------------------------


@gotest
def test_select_default_when_nothing_ready() -> None:
    a: gonet.Chan[int] = gonet.Chan()
    b: gonet.Chan[int] = gonet.Chan(1)
    assert gonet.select(a, b, default=True) == (-1, None, False)
    # A send case with no receiver and a full buffer is not ready either.
    b.send(1)
    assert gonet.select((a, 1), (b, 2), default=True) == (-1, None, False)
    assert b.recv() == 1


@gotest
def test_select_recv_and_send_cases() -> None:
    a: gonet.Chan[int] = gonet.Chan(1)
    b: gonet.Chan[str] = gonet.Chan(1)
    assert gonet.select((b, "hi"), default=True) == (0, None, True)
    assert len(b) == 1
    a.send(5)
    assert gonet.select(None, a) == (1, 5, True)
    assert gonet.select(None, b, default=True) == (1, "hi", True)


@gotest
def test_select_only_none_cases_with_default() -> None:
    assert gonet.select(None, None, default=True) == (-1, None, False)
    assert gonet.select(default=True) == (-1, None, False)


@gotest
def test_select_rejects_bad_case() -> None:
    with pytest.raises(TypeError):
        gonet.select(42, default=True)


@gotest
def test_select_names_the_bad_case_past_the_first_two() -> None:
    """Cases 0 and 1 are select's positional slots, the rest a tuple: both are checked alike."""
    a: gonet.Chan[int] = gonet.Chan(1)
    with pytest.raises(TypeError, match="case 2 "):
        gonet.select(a, None, "nope", default=True)
    with pytest.raises(TypeError, match="case 1 "):
        gonet.select(a, (a,), default=True)
    with pytest.raises(TypeError):
        gonet.select(c0=a)  # type: ignore[call-arg]  # the slots are positional only


@gotest
def test_select_parked_on_a_later_send_case() -> None:
    """A send in the third case or later parks with the others and reports its own index."""
    idle: gonet.Chan[int] = gonet.Chan()
    out: gonet.Chan[str] = gonet.Chan()
    got: list[tuple[int, Any, bool]] = []

    def sender() -> None:
        got.append(gonet.select(idle, None, idle, (out, "v")))

    g = gonet.go(sender)
    wait_all_blocked()
    assert out.recv() == "v"
    g.join()
    assert got == [(3, None, True)]
    assert len(idle.recvq) == 0 and len(out.sendq) == 0  # pass 3 unlinked every sudog


@gotest
def test_select_on_closed_chan_returns_ok_false() -> None:
    ch: gonet.Chan[int] = gonet.Chan()
    ch.close()
    assert gonet.select(ch) == (0, None, False)
    assert gonet.select(None, ch, default=True) == (1, None, False)


@gotest
def test_select_parked_woken_by_close_returns_ok_false() -> None:
    a: gonet.Chan[int] = gonet.Chan()
    b: gonet.Chan[int] = gonet.Chan()
    g = gonet.go(gonet.select, a, b)
    wait_all_blocked()
    b.close()
    assert g.join() == (1, None, False)
    assert len(a.recvq) == 0
    assert len(b.recvq) == 0


@gotest
def test_select_send_case_on_closed_chan_raises() -> None:
    ch: gonet.Chan[int] = gonet.Chan(1)
    ch.close()
    with pytest.raises(gonet.ChanClosedError):
        gonet.select((ch, 1), default=True)
    with pytest.raises(gonet.ChanClosedError):
        gonet.select((ch, 1))


@gotest
def test_select_parked_send_case_raises_when_closed() -> None:
    a: gonet.Chan[int] = gonet.Chan()
    other: gonet.Chan[int] = gonet.Chan()

    def selector() -> str:
        try:
            gonet.select((a, 1), other)
        except gonet.ChanClosedError:
            return "closed"
        return "no error"

    g = gonet.go(selector)
    wait_all_blocked()
    a.close()
    assert g.join() == "closed"
    assert len(a.sendq) == 0
    assert len(other.recvq) == 0


@gotest
def test_select_parks_until_ready() -> None:
    a: gonet.Chan[int] = gonet.Chan()
    b: gonet.Chan[int] = gonet.Chan()
    g = gonet.go(gonet.select, a, b)
    wait_all_blocked()
    assert not g.done()
    assert gonet.stats()["waiting"].get("select") == 1
    assert len(a.recvq) == 1
    assert len(b.recvq) == 1
    b.send(42)
    assert g.join() == (1, 42, True)
    # The sudog of the case that did not fire is unlinked.
    assert len(a.recvq) == 0
    assert len(b.recvq) == 0


@gotest
def test_select_parked_send_case_fires() -> None:
    a: gonet.Chan[int] = gonet.Chan()
    b: gonet.Chan[int] = gonet.Chan()
    g = gonet.go(gonet.select, a, (b, "v"))
    wait_all_blocked()
    assert b.recv() == "v"
    assert g.join() == (1, None, True)
    assert len(a.recvq) == 0
    assert len(b.sendq) == 0


@gotest
def test_select_sudogs_removed_no_queue_growth() -> None:
    """Many selects that park on an idle channel leave nothing behind in its queues."""
    busy: gonet.Chan[int] = gonet.Chan()
    idle: gonet.Chan[int] = gonet.Chan()
    idle_send: gonet.Chan[int] = gonet.Chan()
    n = 500

    def feeder() -> None:
        for i in range(n):
            busy.send(i)

    f = gonet.go(feeder)
    total = 0
    for _ in range(n):
        i, v, ok = gonet.select(idle, (idle_send, -1), busy)
        assert (i, ok) == (2, True)
        total += v
        assert len(idle.recvq) == 0
        assert len(idle_send.sendq) == 0
    f.join()
    assert total == n * (n - 1) // 2
    assert len(idle.recvq) == 0
    assert len(idle_send.sendq) == 0
    assert len(busy.recvq) == 0
    assert len(busy.sendq) == 0


@gotest
def test_select_stale_sudog_does_not_swallow_value() -> None:
    """Two cases become ready in the same round: the loser's value is not lost."""
    a: gonet.Chan[int] = gonet.Chan()
    b: gonet.Chan[int] = gonet.Chan()
    g = gonet.go(gonet.select, a, b)
    wait_all_blocked()
    a.send(1)  # hands to the select; its sudog on b is now stale but still queued
    # The selecting goroutine has not run yet: b has no live receiver, so a
    # non-blocking send must fail instead of handing the value to the stale sudog.
    assert not g.done()
    assert gonet.select((b, 2), default=True) == (-1, None, False)
    assert g.join() == (0, 1, True)
    assert len(b.recvq) == 0
    sb = gonet.go(b.send, 3)
    assert b.recv() == 3
    sb.join()


@gotest
def test_close_skips_stale_select_sudog() -> None:
    a: gonet.Chan[int] = gonet.Chan()
    b: gonet.Chan[int] = gonet.Chan()
    g = gonet.go(gonet.select, a, b)
    wait_all_blocked()
    a.send(1)
    b.close()  # the select already won on a: closing b must not change its result
    assert g.join() == (0, 1, True)


@pytest.mark.leaves_goroutines  # tests run()'s own clean-up
def test_select_with_only_none_cases_is_stopped_at_shutdown() -> None:
    log: list[str] = []

    def parked() -> None:
        try:
            gonet.select(None)
        finally:
            log.append("stopped")

    def main() -> None:
        gonet.go(parked)
        gonet.sleep(0)

    gonet.run(main)
    assert log == ["stopped"]


@pytest.mark.parametrize("ncases", [2, 3, 4])
@gotest(seed=12345)
def test_select_ready_choice_is_uniform(ncases: int) -> None:
    """Go's TestSelectFairness: with every case ready, each is chosen about equally often."""
    trials = 3000
    chans: list[gonet.Chan[int]] = [gonet.Chan(trials + 1) for _ in range(ncases)]
    for i, ch in enumerate(chans):
        for _ in range(trials + 1):
            ch.send(i)
    counts = [0] * ncases
    for _ in range(trials):
        i, v, ok = gonet.select(*chans)
        assert ok
        assert v == i
        counts[i] += 1
    expected = trials / ncases
    sigma = (trials * (1 / ncases) * (1 - 1 / ncases)) ** 0.5
    for c in counts:
        assert abs(c - expected) < 6 * sigma, counts


@gotest(seed=7)
def test_select_pseudo_random_send() -> None:
    """Go's TestPseudoRandomSend: two ready send cases on one channel are both chosen."""
    n = 400
    ch: gonet.Chan[int] = gonet.Chan(n)
    for _ in range(n):
        gonet.select((ch, 0), (ch, 1))
    got = list(ch_take(ch, n))
    zeros = got.count(0)
    assert n * 0.35 < zeros < n * 0.65, zeros


def _choices(seed: int) -> list[int]:
    chans: list[gonet.Chan[int]] = [gonet.Chan(100) for _ in range(3)]
    for ch in chans:
        for _ in range(100):
            ch.send(0)
    return [gonet.select(*chans)[0] for _ in range(60)]


def test_select_choice_is_reproducible_with_seed() -> None:
    a = run_test(_choices, 99, seed=5)
    b = run_test(_choices, 99, seed=5)
    assert a == b
    assert len(set(a)) == 3


class _SubChan(gonet.Chan[int]):
    """A user's channel class: select takes its generic path, not the one for two plain Chans."""


def _two_case_picks(chan_cls: type[gonet.Chan[int]]) -> list[tuple[int, Any, bool]]:
    a, b = chan_cls(60), chan_cls(10)
    for i in range(60):
        a.send(i)
    for i in range(10):
        b.send(100 + i)
    b.close()  # drained within the 60 picks: then a closed case is as ready as a value
    return [gonet.select(a, b) for _ in range(60)]


def test_two_receive_select_matches_the_generic_path() -> None:
    """select(a, b) on two plain Chans has its own path: it draws and chooses as the generic one.

    The same seed gives the same results, closed case included ((1, None, False)
    once b is drained), whichever path the channels' class sends select down.
    """
    plain = run_test(_two_case_picks, gonet.Chan, seed=11)
    generic = run_test(_two_case_picks, _SubChan, seed=11)
    assert plain == generic
    assert {i for i, _, _ in plain} == {0, 1}
    assert (1, None, False) in plain


@gotest
def test_two_receive_select_parks_and_unlinks_the_other_case() -> None:
    a: gonet.Chan[int] = gonet.Chan()
    b: gonet.Chan[int] = gonet.Chan()
    got: list[tuple[int, Any, bool]] = []

    def waiter() -> None:
        got.append(gonet.select(a, b))
        got.append(gonet.select(a, b, default=True))

    g = gonet.go(waiter)
    wait_all_blocked()
    assert len(a.recvq) == 1 and len(b.recvq) == 1
    b.send(9)
    g.join()
    assert got == [(1, 9, True), (-1, None, False)]
    assert len(a.recvq) == 0 and len(b.recvq) == 0


@pytest.mark.parametrize("cap", [0, 10])
@gotest
def test_self_select(cap: int) -> None:
    """Go's TestSelfSelect: a select never receives its own send."""
    ch: gonet.Chan[int] = gonet.Chan(cap)
    wg = gonet.WaitGroup()
    errors: list[str] = []

    def worker(p: int) -> None:
        try:
            for i in range(300):
                if p == 0 or i % 2 == 0:
                    idx, v, _ = gonet.select((ch, p), ch)
                    recv = idx == 1
                else:
                    idx, v, _ = gonet.select(ch, (ch, p))
                    recv = idx == 0
                if recv and cap == 0 and v == p:
                    errors.append(f"self receive: {p}")
                    return
        finally:
            wg.done()

    wg.add(2)
    gs = [gonet.go(worker, p) for p in range(2)]
    wg.wait()
    for g in gs:
        g.join()
    assert errors == []


@gotest
def test_select_duplicate_channel() -> None:
    """Go's TestSelectDuplicateChannel: the same channel in two cases of one select."""
    c: gonet.Chan[int] = gonet.Chan()
    d: gonet.Chan[int] = gonet.Chan()

    def first() -> None:
        gonet.select(c, c, d)  # woken through d: both c sudogs must be unlinked

    def second() -> None:
        c.recv()

    g1 = gonet.go(first)
    wait_all_blocked()
    g2 = gonet.go(second)
    wait_all_blocked()
    d.send(7)
    g1.join()
    c.send(8)  # must go to `second`, not to a stale sudog of `first`
    g2.join()
    assert len(c.recvq) == 0


# --- after ---------------------------------------------------------------------------------


@gotest(clock=MockClock)
def test_after_fires_once_at_exact_virtual_time() -> None:
    t0 = gonet.monotonic()
    ch = gonet.after(5)
    assert ch.capacity == 1
    gonet.sleep(4.5)
    assert gonet.select(ch, default=True) == (-1, None, False)  # not early
    v = ch.recv()
    assert v == t0 + 5
    assert gonet.monotonic() == t0 + 5
    gonet.sleep(100)
    assert gonet.select(ch, default=True) == (-1, None, False)  # exactly once
    assert len(ch) == 0


@gotest(clock=MockClock)
def test_after_zero_fires_promptly() -> None:
    t0 = gonet.monotonic()
    assert gonet.after(0).recv() == t0
    assert gonet.after(-3).recv() == t0


@gotest(clock=MockClock)
def test_after_value_waits_in_buffer() -> None:
    t0 = gonet.monotonic()
    ch = gonet.after(2)
    gonet.sleep(10)  # nobody receives when it fires: the timer never blocks
    assert len(ch) == 1
    assert ch.recv() == t0 + 2


@gotest(clock=MockClock)
def test_after_as_select_timeout() -> None:
    t0 = gonet.monotonic()
    data: gonet.Chan[str] = gonet.Chan()

    def slow_sender() -> None:
        gonet.sleep(3)
        data.send("payload")

    g = gonet.go(slow_sender)
    # The data is late: the timeout case fires, at exactly t0 + 1.
    i, v, ok = gonet.select(data, gonet.after(1))
    assert (i, v, ok) == (1, t0 + 1, True)
    assert gonet.monotonic() == t0 + 1
    assert len(data.recvq) == 0
    # Now the data arrives before the (longer) timeout.
    i, v, ok = gonet.select(data, gonet.after(10))
    assert (i, v, ok) == (0, "payload", True)
    assert gonet.monotonic() == t0 + 3
    g.join()


def test_after_outside_runtime_raises() -> None:
    with pytest.raises(RuntimeError):
        gonet.after(1)
