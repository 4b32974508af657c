"""The compiled build's allocator caches (g.pxd, install_allocator_caches) keep the allocator's contract.

The block cache stands in front of CPython's raw allocator, which any thread
may call without the GIL, and is installed only over the default allocator.
These tests hold it to that: blocks handed out to threads racing without the
GIL are never shared, every size class comes back intact, the debug hooks and
tracemalloc are never wrapped, and a process under the debug hooks still runs
goroutines. The plain build runs them against the default allocator alone:
the contract is the same.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading

import gonet

# CDLL, not pythonapi: a CDLL call releases the GIL, so the threads below call the raw
# allocator as C code does from a thread that does not hold it.
_libpython = ctypes.CDLL(None)
_raw_malloc = _libpython.PyMem_RawMalloc
_raw_malloc.restype = ctypes.c_void_p
_raw_malloc.argtypes = [ctypes.c_size_t]
_raw_free = _libpython.PyMem_RawFree
_raw_free.restype = None
_raw_free.argtypes = [ctypes.c_void_p]

#: Sizes on both sides of the cache's range (1,025 to 8,192 bytes) and of its classes.
SIZES = [1000, 1025, 1056, 1880, 2048, 4095, 8192, 8193, 20000]


#: Threads taking and freeing blocks of one size class at once, without the GIL: run in a
#: child process, so that a cache that hands one block out twice fails the test (as a
#: clobbered block or a crash) instead of ending the test run.
_RACE = r"""
import ctypes, sys, threading
import gonet  # installs the caches (compiled build)
lib = ctypes.CDLL(None)  # a CDLL call releases the GIL, as C code calling the raw domain may
malloc = lib.PyMem_RawMalloc
malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
free = lib.PyMem_RawFree
free.restype, free.argtypes = None, [ctypes.c_void_p]
size, rounds = int(sys.argv[1]), int(sys.argv[2])
errors = []

def churn(tag):
    for r in range(rounds):
        a = malloc(size)
        ctypes.memset(a, tag, size)
        b = malloc(size)
        ctypes.memset(b, tag, size)
        if ctypes.string_at(a, size).count(tag) != size or ctypes.string_at(b, size).count(tag) != size:
            errors.append(f"thread {tag}: a block changed under it in round {r}")
            return
        free(a)
        free(b)

threads = [threading.Thread(target=churn, args=(tag,)) for tag in (1, 2, 3, 4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(errors or "ok")
"""


def test_raw_blocks_are_never_shared_between_threads_without_the_gil() -> None:
    """Four threads race on one size class (greenlet's 1,880-byte stack copies fall in it)."""
    r = subprocess.run([sys.executable, "-c", _RACE, "1880", "20000"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_goroutines_share_the_cache_with_a_thread() -> None:
    """Goroutines park and wake (their stack copies come and go) while a thread churns raw blocks."""
    stop = threading.Event()
    errors: list[str] = []

    def churn() -> None:
        while not stop.is_set():
            for size in SIZES:
                p = _raw_malloc(size)
                ctypes.memset(p, 7, size)
                if ctypes.string_at(p, size).count(7) != size:
                    errors.append(f"a {size}-byte block changed")
                _raw_free(p)

    t = threading.Thread(target=churn)
    t.start()

    def main() -> None:
        ping: gonet.Chan[int] = gonet.Chan()
        pong: gonet.Chan[int] = gonet.Chan()

        def echo() -> None:
            for v in ping:
                pong.send(v)

        gonet.go(echo)
        for i in range(20000):
            ping.send(i)
            assert pong.recv() == i
        ping.close()

    try:
        gonet.run(main)
    finally:
        stop.set()
        t.join(30)
    assert not t.is_alive()
    assert errors == []


def test_a_freed_block_of_each_class_comes_back_whole() -> None:
    """Blocks freed and taken again, size after size: each holds what was written into it."""
    for size in range(1025, 8193, 97):
        p = _raw_malloc(size)
        ctypes.memset(p, 0x5A, size)
        _raw_free(p)
        q = _raw_malloc(size)
        ctypes.memset(q, 0xA5, size)
        assert ctypes.string_at(q, size) == b"\xa5" * size
        _raw_free(q)


def _block_cache_in_child(env: dict[str, str], *args: str) -> str:
    code = "from gonet._runtime import g; print(g.BLOCK_CACHE)"
    r = subprocess.run([sys.executable, *args, "-c", code], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_the_block_cache_wraps_the_default_allocator_only() -> None:
    """Installed compiled over plain malloc; not over the debug hooks or tracemalloc's, not plain."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONMALLOC", "PYTHONDEVMODE",
                                                            "PYTHONTRACEMALLOC")}
    expect = "True" if gonet.COMPILED else "False"
    assert _block_cache_in_child(env) == expect
    assert _block_cache_in_child(dict(env, PYTHONMALLOC="debug")) == "False"
    assert _block_cache_in_child(env, "-X", "dev") == "False"
    assert _block_cache_in_child(env, "-X", "tracemalloc") == "False"
    assert _block_cache_in_child(dict(env, GONET_PURE_PYTHON="1")) == "False"


def test_goroutines_run_under_the_debug_allocator_hooks() -> None:
    """PYTHONMALLOC=debug checks every block's guard bytes: a cache over its hooks would fail them."""
    code = (
        "import gonet\n"
        "def main():\n"
        "    ch = gonet.Chan()\n"
        "    gs = [gonet.go(lambda: ch.send(b'x' * 3000)) for _ in range(200)]\n"
        "    got = [ch.recv() for _ in gs]\n"
        "    assert all(len(b) == 3000 for b in got)\n"
        "    print('ok', len(got))\n"
        "gonet.run(main)\n"
    )
    env = dict(os.environ, PYTHONMALLOC="debug")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok 200"
