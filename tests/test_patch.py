"""gonet.patch(): sockets, time, select, locks, queues and DNS, inside and outside a runtime."""

from __future__ import annotations

import _thread
import queue
import select
import selectors
import socket
import ssl
import sys
import threading
import time
import types
from typing import Any

import pytest

import gonet
from gonet._patch import EarlyBindingError, PatchWarning
from patchpeers import patched

__all__ = ["patched"]

import gonet._patch.locks as _locks
import gonet._patch.waiting as _waiting

# The originals, read through gonet's own (exempt) copies: a copy in this module
# would itself be an early-bound reference that patch() warns about.



def _ticker(ticks: list[float], stop: list[bool], beat: float = 0.02) -> None:
    while not stop:
        time.sleep(beat)
        ticks.append(time.monotonic())


# --- patch / unpatch ---------------------------------------------------------------------


def test_patch_is_explicit_idempotent_and_undone() -> None:
    assert time.sleep is _waiting._orig_sleep  # importing gonet patched nothing
    gonet.patch()
    try:
        patched_sleep = time.sleep
        assert patched_sleep is not _waiting._orig_sleep
        gonet.patch()  # idempotent
        assert time.sleep is patched_sleep
        assert threading.Lock is not _locks._allocate
        assert ssl.SSLContext.sslsocket_class is not ssl.SSLSocket
        assert issubclass(ssl.SSLContext.sslsocket_class, ssl.SSLSocket)
        assert selectors.DefaultSelector is not selectors.EpollSelector
        assert selectors.EpollSelector.__name__ == "EpollSelector"  # explicit classes kept
        assert hasattr(select, "epoll") and select.epoll.__module__ == "select"
    finally:
        gonet.unpatch()
    assert time.sleep is _waiting._orig_sleep
    assert threading.Lock is _locks._allocate
    assert ssl.SSLContext.sslsocket_class is ssl.SSLSocket
    assert "recv" not in vars(socket.socket)


def test_parts_are_selectable() -> None:
    gonet.patch(socket=False, time=False, threading=False)
    try:
        assert time.sleep is _waiting._orig_sleep
        assert threading.Lock is _locks._allocate
        assert "recv" not in vars(socket.socket)
        assert select.select is not None and select.select.__module__ != "select"
        gonet.patch(time=True)  # adds a part
        assert time.sleep is not _waiting._orig_sleep
    finally:
        gonet.unpatch()


def test_early_bound_module_reference_is_rebound() -> None:
    mod = types.ModuleType("gonet_test_early_mod")
    exec("from time import sleep\nimport threading\nLock = threading.Lock\n", mod.__dict__)
    sys.modules[mod.__name__] = mod
    try:
        gonet.patch()
        try:
            assert mod.sleep is time.sleep and mod.sleep is not _waiting._orig_sleep
            assert mod.Lock is threading.Lock
        finally:
            gonet.unpatch()
        assert mod.sleep is _waiting._orig_sleep and mod.Lock is _locks._allocate
    finally:
        del sys.modules[mod.__name__]


def test_unrebindable_copies_are_named_in_a_warning_and_check_raises() -> None:
    mod = types.ModuleType("gonet_test_early_cls")
    exec("import time\nclass Napper:\n    nap = time.sleep\n"
         "def snooze(s, sleep=time.sleep):\n    sleep(s)\n"
         "def make():\n    nap = time.sleep\n    def doze():\n        nap(0)\n    return doze\n"
         "doze = make()\n", mod.__dict__)
    sys.modules[mod.__name__] = mod
    try:
        with pytest.raises(EarlyBindingError) as info:
            gonet.patch(check=True)
        assert "gonet_test_early_cls.Napper.nap" in str(info.value)
        assert "gonet_test_early_cls.snooze (default argument: time.sleep)" in str(info.value)
        assert "gonet_test_early_cls.make.<locals>.doze (closure: time.sleep)" in str(info.value)
        assert time.sleep is _waiting._orig_sleep  # check=True changed nothing
        with pytest.warns(PatchWarning, match=r"gonet_test_early_cls\.Napper\.nap"):
            gonet.patch()
        gonet.unpatch()
    finally:
        gonet.unpatch()
        del sys.modules[mod.__name__]
        mod.__dict__.clear()  # the copies must not haunt later tests' patch() calls
        import gc

        gc.collect()


# --- outside a runtime: exactly the standard library ----------------------------------------


def test_outside_a_runtime_everything_behaves_as_the_originals(patched: None) -> None:
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(0.05)
        t0 = time.monotonic()
        with pytest.raises(socket.timeout):
            a.recv(10)
        assert time.monotonic() - t0 >= 0.04
        b.sendall(b"x")
        assert a.recv(10) == b"x"
        a.setblocking(False)
        with pytest.raises(BlockingIOError):
            a.recv(10)
        assert select.select([a], [], [], 0) == ([], [], [])
    lock = threading.Lock()
    assert lock.acquire() and not lock.acquire(False)
    assert not lock.acquire(timeout=0.01)
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()
    with pytest.raises(ValueError):
        lock.acquire(False, 1)
    q: queue.SimpleQueue[int] = queue.SimpleQueue()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.01)
    with pytest.raises(ValueError):
        time.sleep(-1)


# --- sockets ---------------------------------------------------------------------------------


def test_socket_created_before_patch_is_cooperative() -> None:
    a, b = socket.socketpair()  # before patch()
    gonet.patch()
    try:
        ticks: list[float] = []

        def main() -> bytes:
            stop: list[bool] = []
            tg = gonet.go(_ticker, ticks, stop)

            def later() -> None:
                time.sleep(0.2)
                b.sendall(b"late")

            gonet.go(later)
            data = a.recv(10)  # parks; the ticker and `later` run meanwhile
            stop.append(True)
            tg.join()
            return data

        assert gonet.run(main) == b"late"
        assert len(ticks) >= 3
        assert isinstance(a, socket.socket)
    finally:
        gonet.unpatch()
        a.close()
        b.close()


def test_tcp_echo_many_goroutines_and_timeouts(patched: None) -> None:
    def main() -> None:
        ln = socket.socket()
        ln.bind(("127.0.0.1", 0))
        ln.listen(128)
        port = ln.getsockname()[1]

        def serve() -> None:
            while True:
                try:
                    c, _ = ln.accept()
                except OSError:
                    return

                def handle(c: socket.socket) -> None:
                    with c:
                        f = c.makefile("rb")
                        for line in f:
                            c.sendall(line.upper())
                        f.close()

                gonet.go(handle, c)

        server = gonet.go(serve)

        def client(i: int) -> bytes:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                payload = f"hello {i} ".encode() * 2000 + b"\n"  # larger than one segment
                s.sendall(payload)
                f = s.makefile("rb")
                line = f.readline()
                f.close()
                return line == payload.upper()  # type: ignore[return-value]

        gs = [gonet.go(client, i) for i in range(50)]
        assert all(g.join() for g in gs)

        # settimeout is a deadline: recv raises socket.timeout in time.
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.settimeout(0.1)
            t0 = time.monotonic()
            with pytest.raises(socket.timeout):
                s.recv(10)
            assert 0.08 <= time.monotonic() - t0 < 2
        ln.close()
        server.join()

    gonet.run(main)


def test_connect_refused_and_accept_timeout(patched: None) -> None:
    def main() -> None:
        with socket.socket() as tmp:
            tmp.bind(("127.0.0.1", 0))
            port = tmp.getsockname()[1]  # nobody listens once closed
        s = socket.socket()
        with s, pytest.raises(ConnectionRefusedError):
            s.connect(("127.0.0.1", port))
        s2 = socket.socket()
        with s2:
            assert s2.connect_ex(("127.0.0.1", port)) != 0
        with socket.socket() as ln:
            ln.bind(("127.0.0.1", 0))
            ln.listen()
            ln.settimeout(0.05)
            with pytest.raises(socket.timeout):
                ln.accept()
            # The listener's descriptor mode is still CPython's (non-blocking: it has a timeout).
            assert ln.gettimeout() == 0.05
        blocking_sock = socket.socket()
        with blocking_sock:
            assert blocking_sock.getblocking()

    gonet.run(main)


def test_fd_blocking_mode_is_left_as_cpython_set_it(patched: None) -> None:
    import os

    def main() -> None:
        with socket.socket() as ln:
            ln.bind(("127.0.0.1", 0))
            ln.listen()
            c = socket.create_connection(ln.getsockname())
            s, _ = ln.accept()
            with c, s:
                assert os.get_blocking(c.fileno()) and os.get_blocking(s.fileno())
                gonet.go(lambda: (time.sleep(0.05), s.sendall(b"ok")))
                assert c.recv(2) == b"ok"
                assert os.get_blocking(c.fileno())  # MSG_DONTWAIT, not O_NONBLOCK

    gonet.run(main)


def test_close_wakes_a_goroutine_parked_in_recv(patched: None) -> None:
    def main() -> None:
        a, b = socket.socketpair()
        errors: list[BaseException] = []

        def reader() -> None:
            try:
                a.recv(10)
            except OSError as e:
                errors.append(e)

        g = gonet.go(reader)
        time.sleep(0.02)
        a.close()
        g.join()
        b.close()
        assert errors and isinstance(errors[0], OSError)

    gonet.run(main)


# --- time, select, selectors -----------------------------------------------------------------


def test_time_sleep_parks_100_goroutines_at_once(patched: None) -> None:
    def main() -> float:
        t0 = time.monotonic()
        gs = [gonet.go(time.sleep, 0.2) for _ in range(100)]
        for g in gs:
            g.join()
        return time.monotonic() - t0

    assert gonet.run(main) < 5.0  # not 100 x 0.2 s


def test_select_poll_and_default_selector_park(patched: None) -> None:
    def main() -> None:
        a, b = socket.socketpair()
        with a, b:
            gonet.go(lambda: (time.sleep(0.05), b.send(b"1")))
            r, w, x = select.select([a], [], [], 5)
            assert r == [a] and not w and not x
            a.recv(1)
            assert select.select([a], [], [], 0.05) == ([], [], [])
            p = select.poll()
            p.register(a, select.POLLIN)
            t0 = time.monotonic()
            assert p.poll(0) == []  # never parks
            gonet.go(lambda: (time.sleep(0.05), b.send(b"2")))
            assert p.poll(5000) == [(a.fileno(), select.POLLIN)]
            assert time.monotonic() - t0 < 4
            a.recv(1)
            with selectors.DefaultSelector() as sel:
                sel.register(a, selectors.EVENT_READ, "data")
                assert sel.select(0) == []
                gonet.go(lambda: (time.sleep(0.05), b.send(b"3")))
                events = sel.select(5)
                assert [(k.data, ev) for k, ev in events] == [("data", selectors.EVENT_READ)]
                assert sel.select(0.01) != []  # level-triggered, as epoll's selector is
    gonet.run(main)


# --- locks and queues ------------------------------------------------------------------------


def test_lock_contended_between_goroutines_and_threads(patched: None) -> None:
    lock = threading.Lock()
    counter = [0]

    def gbody() -> None:
        for _ in range(50):
            with lock:
                v = counter[0]
                time.sleep(0)  # yield while holding the lock: others must park
                counter[0] = v + 1

    def tbody() -> None:
        for _ in range(50):
            with lock:
                counter[0] += 1

    def main() -> None:
        threads = [threading.Thread(target=tbody) for _ in range(2)]
        for t in threads:
            t.start()
        gs = [gonet.go(gbody) for _ in range(10)]
        for g in gs:
            g.join()
        for t in threads:
            t.join()

    gonet.run(main)
    assert counter[0] == 10 * 50 + 2 * 50


def test_rlock_is_owned_by_the_goroutine(patched: None) -> None:
    rl = threading.RLock()
    order: list[str] = []

    def a() -> None:
        with rl, rl:  # re-entrant for its owner
            order.append("a-in")
            time.sleep(0.05)
            order.append("a-out")

    def b() -> None:
        time.sleep(0.01)
        with rl:  # same thread, other goroutine: must wait
            order.append("b-in")

    def main() -> None:
        ga, gb = gonet.go(a), gonet.go(b)
        ga.join()
        gb.join()
        with pytest.raises(RuntimeError):
            rl.release()

    gonet.run(main)
    assert order == ["a-in", "a-out", "b-in"]


def test_condition_event_semaphore_queue_follow(patched: None) -> None:
    def main() -> None:
        ev = threading.Event()
        threading.Thread(target=lambda: (_waiting._orig_sleep(0.05), ev.set())).start()
        assert ev.wait(5)
        q: queue.Queue[int] = queue.Queue(maxsize=2)

        def producer() -> None:
            for i in range(10):
                q.put(i)

        t = threading.Thread(target=producer)
        t.start()
        assert [q.get(timeout=5) for _ in range(10)] == list(range(10))
        t.join()  # Thread.join from a goroutine goes through blocking()
        sem = threading.Semaphore(0)
        ticks: list[float] = []
        stop: list[bool] = []
        tg = gonet.go(_ticker, ticks, stop)
        threading.Timer(0.1, sem.release).start()
        assert sem.acquire(timeout=5)
        stop.append(True)
        tg.join()
        assert ticks  # the ticker ran while main waited on the semaphore
        sq: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=lambda: (_waiting._orig_sleep(0.02), sq.put("from-thread"))).start()
        assert sq.get(timeout=5) == "from-thread"
        with pytest.raises(queue.Empty):
            sq.get(timeout=0.01)

    gonet.run(main)


def test_thread_join_does_not_block_other_goroutines(patched: None) -> None:
    def main() -> int:
        t = threading.Thread(target=_waiting._orig_sleep, args=(0.2,))
        t.start()
        ticks: list[float] = []
        stop: list[bool] = []
        tg = gonet.go(_ticker, ticks, stop)
        t.join()
        stop.append(True)
        tg.join()
        return len(ticks)

    assert gonet.run(main) >= 3


def test_thread_allocate_lock_and_rlock_of_thread_module(patched: None) -> None:
    assert isinstance(_thread.allocate_lock(), threading.Lock)  # type: ignore[arg-type]
    assert type(threading.RLock()).__name__ == "RLock"


# --- DNS -------------------------------------------------------------------------------------


def test_dns_same_results_as_libc(patched: None) -> None:
    from gonet._patch import dns

    def main() -> tuple[Any, Any, Any]:
        return (socket.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM),
                socket.gethostbyname("127.0.0.1"),
                socket.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV))

    got = gonet.run(main)
    assert got[0] == dns._orig_getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM)
    assert got[1] == "127.0.0.1"
    assert got[2] == ("127.0.0.1", "80")

    def failing() -> None:
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo("name.invalid", 80)

    gonet.run(failing)


def test_patch_keeps_warnings_quiet_without_early_copies() -> None:
    """In a fresh interpreter (nothing imported early), patch() has nothing to warn about.

    (In this process it may: a library imported by another test can hold a copy,
    e.g. werkzeug's ``Map.lock_class = threading.Lock`` — which patch() names.)
    """
    import subprocess

    code = ("import warnings, gonet\n"
            "warnings.simplefilter('error')\n"
            "gonet.patch()\n"
            "gonet.unpatch()\n"
            "print('quiet')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "quiet"


def test_udp_sendto_recvfrom_and_msg_calls(patched: None) -> None:
    def main() -> None:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with a, b:
            a.bind(("127.0.0.1", 0))
            b.bind(("127.0.0.1", 0))
            gonet.go(lambda: (time.sleep(0.02), b.sendto(b"ping", a.getsockname())))
            data, addr = a.recvfrom(100)  # parks until the datagram arrives
            assert (data, addr) == (b"ping", b.getsockname())
            buf = bytearray(10)
            gonet.go(lambda: (time.sleep(0.02), b.sendto(b"into", 0, a.getsockname())))
            n, addr = a.recvfrom_into(buf)
            assert bytes(buf[:n]) == b"into"
            gonet.go(lambda: (time.sleep(0.02), b.sendmsg([b"m", b"sg"], [], 0, a.getsockname())))
            msg, _anc, _flags, addr = a.recvmsg(100)
            assert msg == b"msg" and addr == b.getsockname()

    gonet.run(main)


def test_sendfile_and_unix_stream_sockets(patched: None, tmp_path: Any) -> None:
    path = tmp_path / "f.bin"
    payload = bytes(range(256)) * 4096  # 1 MiB: more than the socket buffers hold
    path.write_bytes(payload)
    sock_path = f"/tmp/gpt{id(path) % 100000}.sock"

    def main() -> None:
        ln = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ln.bind(sock_path)
        ln.listen()
        got = bytearray()

        def reader() -> None:
            c, _ = ln.accept()
            with c:
                while chunk := c.recv(65536):
                    got.extend(chunk)

        g = gonet.go(reader)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(sock_path)
            with open(path, "rb") as f:
                assert s.sendfile(f) == len(payload)
        g.join()
        ln.close()
        assert bytes(got) == payload

    try:
        gonet.run(main)
    finally:
        import os

        if os.path.exists(sock_path):
            os.unlink(sock_path)


def test_socket_closed_from_another_thread_wakes_the_goroutine(patched: None) -> None:
    def main() -> type:
        a, b = socket.socketpair()
        threading.Timer(0.05, a.close).start()
        try:
            a.recv(10)
        except OSError as e:
            return type(e)
        finally:
            b.close()
        return type(None)

    # The close is posted to the runtime; the parked recv sees a closed socket.
    assert issubclass(gonet.run(main), OSError)


def test_blocking_workers_and_the_scheduler_get_the_stdlib_path(patched: None) -> None:
    """Inside blocking() and in a posted call (the hub), patched calls block their thread."""
    a, b = socket.socketpair()

    def in_worker() -> tuple[bytes, bool]:
        from gonet._patch._g import current_g

        b.sendall(b"w")
        return a.recv(1), current_g() is None  # a plain blocking recv on the worker thread

    def main() -> tuple[Any, list[bool]]:
        got = gonet.blocking(in_worker)
        seen: list[bool] = []

        def posted() -> None:
            from gonet._patch._g import current_g

            time.sleep(0.001)  # the hub: the original sleep, no parking
            seen.append(current_g() is None)

        gonet.current_runtime().post(posted)
        while not seen:
            time.sleep(0.005)
        return got, seen

    try:
        got, seen = gonet.run(main)
    finally:
        a.close()
        b.close()
    assert got == (b"w", True)
    assert seen == [True]


def test_lookups_are_capped_per_runtime(patched: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """At most MAX_LOOKUPS libc lookups of one runtime run at once; the rest wait for a slot."""
    from gonet._patch import dns

    real = dns._orig_getaddrinfo
    state = {"now": 0, "peak": 0}
    guard = threading.Lock()

    def counting(*args: Any) -> Any:  # the real libc call, with its concurrency counted
        with guard:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            _waiting._orig_sleep(0.02)
            return real(*args)
        finally:
            with guard:
                state["now"] -= 1

    monkeypatch.setattr(dns, "MAX_LOOKUPS", 3)
    monkeypatch.setattr(dns, "_orig_getaddrinfo", counting)

    def main() -> list[Any]:
        gs = [gonet.go(socket.getaddrinfo, "localhost", 80, socket.AF_INET, socket.SOCK_STREAM)
              for _ in range(12)]
        return [g.join() for g in gs]

    results = gonet.run(main)
    assert all(r == real("localhost", 80, socket.AF_INET, socket.SOCK_STREAM) for r in results)
    assert state["peak"] == 3  # the cap held (12 lookups, 3 at a time)
