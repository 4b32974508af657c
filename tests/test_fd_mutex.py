"""fdMutex: Go's ``internal/poll/fd_mutex_test.go`` (go1.22), plus a hypothesis state machine.

The Go tests are ported one by one (TestMutexLock, TestMutexClose,
TestMutexCloseUnblock, TestMutexPanic, TestMutexOverflowPanic,
TestMutexStress). ``FdMutex`` parks goroutines, so every test runs inside a
gonet runtime; instead of Go's ``time.Sleep(time.Millisecond)`` "give the
others a chance", the tests wait with :func:`wait_all_blocked`.

:class:`FdMutexMachine` drives one ``FdMutex`` with random sequences of
incref / decref / rwlock / rwunlock / incref_and_close from many goroutines
and checks it against a model after every step: the reference count equals
the number of holders (plus one for close), at most one reader and one
writer hold the lock, lock waiters are served in FIFO order, nothing can be
taken after close, and the "destroy" signal (decref / rwunlock returning
True) is given exactly once, when the mutex is closed and the last
reference goes.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import gonet
from gonet._poll.fd_mutex import MAX_REFS, FdMutex
from gonet._runtime.errors import InternalError
from gonet._runtime.g import Sched, getsched
from gonet.testing import gotest, wait_all_blocked

INCONSISTENT = "inconsistent poll.fdMutex"


def sched() -> Sched:
    """sched is the runtime of the running test (``FdMutex`` parks through it)."""
    return getsched()


# --- Go's fd_mutex_test.go ------------------------------------------------------------------


@gotest
def test_mutex_lock() -> None:
    s = sched()
    mu = FdMutex()
    assert mu.incref()
    assert not mu.decref()

    assert mu.rwlock(s, True)
    assert not mu.rwunlock(s, True)

    assert mu.rwlock(s, False)
    assert not mu.rwunlock(s, False)
    assert mu.refs == 0
    assert not mu.rlocked
    assert not mu.wlocked


@gotest
def test_mutex_close() -> None:
    s = sched()
    mu = FdMutex()
    assert mu.incref_and_close(s)

    assert not mu.incref()
    assert not mu.rwlock(s, True)
    assert not mu.rwlock(s, False)
    assert not mu.incref_and_close(s)
    # Only close's own reference is held, and dropping it is the destroy signal.
    assert mu.refs == 1
    assert mu.decref()


@gotest
def test_mutex_read_and_write_locks_are_independent() -> None:
    # One reader and one writer at a time, but a reader does not exclude a writer.
    s = sched()
    mu = FdMutex()
    assert mu.rwlock(s, True)
    assert mu.rwlock(s, False)
    assert mu.incref()
    assert (mu.refs, mu.rlocked, mu.wlocked) == (3, True, True)
    assert not mu.rwunlock(s, False)
    assert not mu.decref()
    assert not mu.rwunlock(s, True)
    assert mu.refs == 0


@gotest
def test_mutex_close_unblock() -> None:
    s = sched()
    c: gonet.Chan[bool] = gonet.Chan(4)
    mu = FdMutex()
    assert mu.rwlock(s, True)

    def locker() -> None:
        assert not mu.rwlock(s, True), "a read lock was granted after close"
        c.send(True)

    gs = [gonet.go(locker) for _ in range(4)]
    wait_all_blocked()
    # Concurrent goroutines must not be able to read-lock the mutex.
    assert len(c) == 0
    assert len(mu.rwait or ()) == 4
    assert not any(g.done() for g in gs)

    assert mu.incref_and_close(s)  # must unblock the readers
    for _ in range(4):
        assert c.recv()
    for g in gs:
        g.join()
    assert len(mu.rwait or ()) == 0
    assert not mu.decref()  # close's reference; the read lock still holds one
    assert mu.rwunlock(s, True)  # the last reference of a closed mutex: destroy


@gotest
def test_mutex_close_unblocks_writers_too() -> None:
    s = sched()
    mu = FdMutex()
    assert mu.rwlock(s, False)
    gs = [gonet.go(mu.rwlock, s, False) for _ in range(3)]
    wait_all_blocked()
    assert len(mu.wwait or ()) == 3
    assert mu.incref_and_close(s)
    assert [g.join() for g in gs] == [False, False, False]
    assert mu.refs == 2
    assert not mu.rwunlock(s, False)
    assert mu.decref()


@gotest
def test_mutex_panic() -> None:
    s = sched()
    mu = FdMutex()

    def ensure_panics(*steps: Any) -> None:
        with pytest.raises(InternalError, match=INCONSISTENT):
            for step in steps:
                step()

    ensure_panics(mu.decref)
    ensure_panics(lambda: mu.rwunlock(s, True))
    ensure_panics(lambda: mu.rwunlock(s, False))

    ensure_panics(mu.incref, mu.decref, mu.decref)
    ensure_panics(lambda: mu.rwlock(s, True), lambda: mu.rwunlock(s, True),
                  lambda: mu.rwunlock(s, True))
    ensure_panics(lambda: mu.rwlock(s, False), lambda: mu.rwunlock(s, False),
                  lambda: mu.rwunlock(s, False))

    # Unlocking a lock that is not held is inconsistent even while references exist.
    assert mu.incref()
    ensure_panics(lambda: mu.rwunlock(s, True))
    ensure_panics(lambda: mu.rwunlock(s, False))
    assert not mu.decref()

    # ensure that it's still not broken
    assert mu.refs == 0
    assert mu.incref()
    assert not mu.decref()
    assert mu.rwlock(s, True)
    assert not mu.rwunlock(s, True)
    assert mu.rwlock(s, False)
    assert not mu.rwunlock(s, False)


@gotest
def test_mutex_overflow_panics() -> None:
    mu = FdMutex()
    with pytest.raises(InternalError) as info:
        for _ in range(1 << 21):
            mu.incref()
    msg = str(info.value)
    assert "too many" in msg
    assert "inconsistent" not in msg
    # Go's reference field holds 2^20-1 references; the panic comes at the next one.
    assert mu.refs == MAX_REFS == (1 << 20) - 1


@gotest
@pytest.mark.parametrize("read", [True, False])
def test_mutex_overflow_panics_on_lock(read: bool) -> None:
    # Go's rwlock adds its reference with the same overflow check as Incref
    # ("too many concurrent operations on a single file or socket").
    s = sched()
    mu = FdMutex()
    for _ in range(MAX_REFS):
        assert mu.incref()
    with pytest.raises(InternalError, match="too many"):
        mu.rwlock(s, read)
    assert mu.refs == MAX_REFS


@gotest
def test_mutex_stress() -> None:
    # Go runs P threads doing N random incref/decref, read-lock and write-lock
    # rounds and checks mutual exclusion. On one thread the interleaving comes
    # from yielding while the lock is held, so the others queue up behind it.
    s = sched()
    p, n = 8, 1500
    mu = FdMutex()
    read_state = [0, 0]
    write_state = [0, 0]
    parked = [0]

    def worker(seed: int) -> None:
        r = random.Random(seed)
        for _ in range(n):
            op = r.randrange(3)
            if op == 0:
                assert mu.incref()
                if r.random() < 0.3:
                    gonet.gosched()
                assert not mu.decref()
            else:
                state = read_state if op == 1 else write_state
                if mu.rlocked if op == 1 else mu.wlocked:
                    parked[0] += 1  # this rwlock is going to park behind the holder
                assert mu.rwlock(s, op == 1)
                # Ensure that it provides mutual exclusion for readers / writers.
                assert state[0] == state[1]
                state[0] += 1
                for _ in range(r.randrange(3)):
                    gonet.gosched()
                state[1] += 1
                assert not mu.rwunlock(s, op == 1)

    gs = [gonet.go(worker, seed) for seed in range(p)]
    for g in gs:
        g.join()
    assert read_state[0] == read_state[1] > 0
    assert write_state[0] == write_state[1] > 0
    assert parked[0] > 0  # the locks were contended: waiters parked and were handed the lock
    assert mu.refs == 0
    assert (mu.rlocked, mu.wlocked, len(mu.rwait or ()), len(mu.wwait or ())) == (False, False, 0, 0)
    assert mu.incref_and_close(s)
    assert mu.decref()


# --- the state machine ----------------------------------------------------------------------


class Locker:
    """Locker is a goroutine that takes the read or write lock and holds it until told to unlock."""

    def __init__(self, machine: FdMutexMachine, read: bool, serial: int) -> None:
        self.machine = machine
        self.read = read
        self.serial = serial
        self.cmd: gonet.Chan[None] = gonet.Chan(1)
        self.locked: bool | None = None  # rwlock's result, once it returned
        self.unlocked: bool | None = None  # rwunlock's result (the destroy signal)
        self.g = gonet.go(self._run)

    def __repr__(self) -> str:
        side = "r" if self.read else "w"
        return f"<Locker {side}{self.serial} locked={self.locked} unlocked={self.unlocked}>"

    def _run(self) -> None:
        m = self.machine
        ok = m.mu.rwlock(m.s, self.read)
        self.locked = ok
        if not ok:
            return
        # Mutual exclusion, observed from the holders themselves.
        assert m.inside[self.read] == 0, "two holders of the same lock"
        m.inside[self.read] += 1
        self.cmd.recv()
        m.inside[self.read] -= 1
        self.unlocked = m.mu.rwunlock(m.s, self.read)


class FdMutexMachine(RuleBasedStateMachine):
    """FdMutexMachine checks FdMutex against a model under random concurrent use."""

    def __init__(self) -> None:
        super().__init__()
        self.s = sched()
        self.mu = FdMutex()
        self.closed = False
        self.increfs = 0  # references taken with incref and not yet dropped
        self.close_ref = False  # close's own reference is still held
        self.holder: dict[bool, Locker | None] = {True: None, False: None}
        self.queue: dict[bool, list[Locker]] = {True: [], False: []}
        self.lockers: list[Locker] = []
        self.inside = {True: 0, False: 0}
        self.main_destroys = 0  # True results of decref called here

    # --- the model ---------------------------------------------------------------------

    def model_refs(self) -> int:
        holders = sum(1 for h in self.holder.values() if h is not None)
        return self.increfs + holders + int(self.close_ref)

    def destroys(self) -> int:
        return self.main_destroys + sum(1 for lk in self.lockers if lk.unlocked)

    # --- rules ---------------------------------------------------------------------------

    @rule()
    def incref(self) -> None:
        ok = self.mu.incref()
        assert ok == (not self.closed), "incref after close must fail, before close succeed"
        if ok:
            self.increfs += 1

    @precondition(lambda self: self.increfs > 0)
    @rule()
    def decref(self) -> None:
        self.increfs -= 1
        last = self.mu.decref()
        assert last == (self.closed and self.model_refs() == 0)
        self.main_destroys += last

    @rule(read=st.booleans())
    def rwlock(self, read: bool) -> None:
        lk = Locker(self, read, len(self.lockers))
        self.lockers.append(lk)
        wait_all_blocked()
        if self.closed:
            assert lk.locked is False, "rwlock after close must fail at once"
            assert lk.g.done()
        elif self.holder[read] is None:
            assert lk.locked is True, "a free lock must be granted at once"
            self.holder[read] = lk
        else:
            assert lk.locked is None, "a held lock must make the next locker wait"
            self.queue[read].append(lk)

    @precondition(lambda self: self.holder[True] is not None or self.holder[False] is not None)
    @rule(read=st.booleans())
    def rwunlock(self, read: bool) -> None:
        if self.holder[read] is None:
            read = not read
        lk = self.holder[read]
        assert lk is not None
        lk.cmd.send(None)
        wait_all_blocked()
        assert lk.g.done()
        queue = self.queue[read]
        if queue:
            # Hand-off to the oldest waiter, which inherits the reference.
            nxt = queue.pop(0)
            assert nxt.locked is True, "the oldest waiter must get the lock"
            assert all(w.locked is None for w in queue), "a younger waiter overtook"
            self.holder[read] = nxt
        else:
            self.holder[read] = None
        assert lk.unlocked == (self.closed and self.model_refs() == 0)

    @rule()
    def incref_and_close(self) -> None:
        ok = self.mu.incref_and_close(self.s)
        assert ok == (not self.closed), "only the first close succeeds"
        if not ok:
            return
        self.closed = True
        self.close_ref = True
        wait_all_blocked()
        for read in (True, False):
            for lk in self.queue[read]:
                assert lk.locked is False, "close must fail every lock waiter"
                assert lk.g.done()
            self.queue[read].clear()

    @precondition(lambda self: self.close_ref)
    @rule()
    def close_decref(self) -> None:
        # poll.FD.Close drops close()'s own reference right after evicting the waiters.
        self.close_ref = False
        last = self.mu.decref()
        assert last == (self.model_refs() == 0)
        self.main_destroys += last

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def matches_model(self) -> None:
        mu = self.mu
        assert mu.refs == self.model_refs(), (mu, self.holder, self.increfs, self.close_ref)
        assert mu.closed == self.closed
        assert mu.rlocked == (self.holder[True] is not None)
        assert mu.wlocked == (self.holder[False] is not None)
        assert len(mu.rwait or ()) == len(self.queue[True])
        assert len(mu.wwait or ()) == len(self.queue[False])
        assert self.inside[True] <= 1
        assert self.inside[False] <= 1

    @invariant()
    def destroy_signal(self) -> None:
        # Given exactly once, and only once the mutex is closed and unreferenced.
        assert self.destroys() == int(self.closed and self.model_refs() == 0), self.lockers

    def teardown(self) -> None:
        # Close, release every holder and reference; every goroutine must end,
        # and the destroy signal must have come exactly once.
        if not self.closed:
            assert self.mu.incref_and_close(self.s)
            self.closed = self.close_ref = True
        wait_all_blocked()
        for read in (True, False):
            self.queue[read].clear()
            lk = self.holder[read]
            if lk is not None:
                lk.cmd.send(None)
                self.holder[read] = None
        wait_all_blocked()
        while self.increfs:
            self.increfs -= 1
            self.main_destroys += self.mu.decref()
        if self.close_ref:
            self.close_ref = False
            self.main_destroys += self.mu.decref()
        wait_all_blocked()
        stuck = [lk for lk in self.lockers if not lk.g.done()]
        assert not stuck, f"lockers still parked after close and release: {stuck}"
        for lk in self.lockers:
            lk.g.join()  # re-raises a holder's own assertion
        assert self.mu.refs == 0
        assert self.destroys() == 1


@gotest
def test_fd_mutex_state_machine() -> None:
    run_state_machine_as_test(
        FdMutexMachine,
        settings=settings(max_examples=75, stateful_step_count=40, deadline=None,
                          database=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
