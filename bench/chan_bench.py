"""chan_bench: goroutines and channels, gonet against asyncio, gevent and Go, in one run.

Run ``.venv/bin/python bench/chan_bench.py`` (``--quick`` for smaller counts,
``--json PATH`` to keep the numbers). Every (implementation, workload, round)
runs in a fresh subprocess pinned to one CPU, so the builds do not share a heap
and RSS deltas are clean. Times are the process's CPU time (user + system,
``time.process_time``; Go: ``getrusage``), not wall time: on a shared machine a
descheduled process loses wall time, not CPU time. Everything runs on one
core, so CPU time is also what a user waits for on an idle one. The best of
``--rounds`` is reported (the least disturbed run).

Workloads (the ones issue 7 names):

* ``pingpong``: unbuffered channel ping-pong between two goroutines, round trips/s
  (asyncio: two ``asyncio.Queue``; gevent: two ``gevent.queue.Channel`` and, as
  a second column, two ``gevent.queue.Queue``);
* ``select``: the same, both sides receiving through ``select`` with a second,
  never-ready case;
* ``select_pair`` (gonet only): the ``select`` loop and the plain ``pingpong`` loop in one
  process, interleaved: ``PAIR_ROUNDS`` rounds of N / ``PAIR_ROUNDS`` round trips of
  each, alternately, and the best round of each (ns per round trip) with their ratio.
  Two fresh processes of the same build differ by more than the two loops do on a
  shared machine; in one process both loops run on the same code layout, the same
  heap and the same CPU, each round next to the other's, so the ratio is the loops'
  and not the processes';
* ``park``: start N goroutines that each park on one channel (seconds until all
  are parked), then close the channel and wait until all have run (wake-all
  seconds), and the RSS growth per parked goroutine;
* ``floor`` (gonet only): what one parked goroutine is made of — its
  data-stack root chunk (compiled: ``g.ROOT_CHUNK_BYTES``, malloc'd), its saved
  C stack (``greenlet._stack_saved``), the greenlet with its C++ state, the
  ``Goroutine``, its ``Sudog``, the frame object greenlet makes of the top
  frame, the heap traced by ``tracemalloc`` and the rest of the RSS growth,
  which is the untraced part: malloc overhead and, plain, CPython 3.11's
  per-greenlet 16 KiB data-stack chunk (mmap'd, of which the touched page
  counts);
* ``echo`` (gonet only, ``--worker`` only): N round trips of 64 B between a client
  and a server goroutine over loopback TCP in one process, the I/O path's
  counterpart of ``pingpong``, for callgrind: ``valgrind --tool=callgrind
  python bench/chan_bench.py --worker gonet echo N`` at two N, difference ÷ ΔN.

Go runs ``bench/servers/go_chan/main.go`` with ``GOMAXPROCS=1`` (built into
``bench/build/`` when ``go`` is installed; skipped otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
GO_SRC = BENCH / "servers" / "go_chan" / "main.go"
GO_BIN = BENCH / "build" / "go_chan"
CPU = "0"
# The counts (the suite's defaults too, bench/suite_chan.py): round trips per ping-pong
# run (quick: fewer), goroutines parked; Go runs GO_ROUND_TRIPS_FACTOR times as many
# round trips so that its run lasts long enough to time.
ROUND_TRIPS, ROUND_TRIPS_QUICK, PARKED = 200_000, 50_000, 100_000
GO_ROUND_TRIPS_FACTOR = 5
# select_pair: rounds per loop (each loop's N split into this many, interleaved).
PAIR_ROUNDS = 15

IMPLS = ("gonet", "gonet_plain", "asyncio", "gevent", "gevent_queue", "go")
IMPL_TITLES = {
    "gonet": "gonet compiled",
    "gonet_plain": "gonet plain",
    "asyncio": "asyncio",
    "gevent": "gevent Channel",
    "gevent_queue": "gevent Queue",
    "go": "Go GOMAXPROCS=1",
}


def rss_kb() -> int:
    """rss_kb is this process's resident set size in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# --- gonet ----------------------------------------------------------------------------

def gonet_worker(workload: str, n: int) -> dict[str, Any]:
    """gonet_worker runs one workload in gonet (the build the environment selects)."""
    import gonet

    out: dict[str, Any] = {"n": n, "compiled": gonet.COMPILED}

    def echo(ping: gonet.Chan[int], pong: gonet.Chan[int]) -> None:
        for v in ping:
            pong.send(v)

    def select_echo(ping: gonet.Chan[int], pong: gonet.Chan[int],
                    quit_: gonet.Chan[None]) -> None:
        while True:
            i, v, ok = gonet.select(ping, quit_)
            if i != 0 or not ok:
                return
            pong.send(v)

    def waiter(parked: gonet.Chan[None], gate: gonet.Chan[None],
               done: gonet.Chan[None]) -> None:
        parked.send(None)
        gate.recv_ok()
        done.send(None)

    def echo_server(ln: gonet.Listener) -> None:
        c = ln.accept()
        try:
            while True:
                data = c.read(65536)
                if not data:
                    return
                c.write(data)
        except gonet.ClosedError:
            pass
        finally:
            c.close()

    def main() -> None:
        if workload == "echo":
            ln = gonet.listen("tcp", "127.0.0.1:0")
            srv = gonet.go(echo_server, ln)
            conn = gonet.dial("tcp", str(ln.addr))
            msg = b"x" * 64
            t = time.process_time()
            for _ in range(n):
                conn.write(msg)
                got = 0
                while got < 64:
                    got += len(conn.read(65536))
            out["seconds"] = time.process_time() - t
            conn.close()
            srv.join()
            ln.close()
        elif workload == "pingpong":
            ping: gonet.Chan[int] = gonet.Chan()
            pong: gonet.Chan[int] = gonet.Chan()
            gonet.go(echo, ping, pong)
            t = time.process_time()
            for i in range(n):
                ping.send(i)
                pong.recv()
            out["seconds"] = time.process_time() - t
            ping.close()
        elif workload == "select":
            ping = gonet.Chan()
            pong = gonet.Chan()
            quit_: gonet.Chan[None] = gonet.Chan()
            gonet.go(select_echo, ping, pong, quit_)
            select = gonet.select
            t = time.process_time()
            for i in range(n):
                ping.send(i)
                select(pong, quit_)
            out["seconds"] = time.process_time() - t
            quit_.close()
        elif workload == "select_pair":
            ping, pong = gonet.Chan(), gonet.Chan()
            sping, spong, squit = gonet.Chan(), gonet.Chan(), gonet.Chan()
            gonet.go(echo, ping, pong)
            gonet.go(select_echo, sping, spong, squit)
            select = gonet.select
            k = max(n // PAIR_ROUNDS, 1)
            best_ns = {"pingpong": float("inf"), "select": float("inf")}
            for _ in range(PAIR_ROUNDS):
                t = time.process_time()
                for i in range(k):
                    ping.send(i)
                    pong.recv()
                best_ns["pingpong"] = min(best_ns["pingpong"], (time.process_time() - t) / k * 1e9)
                t = time.process_time()
                for i in range(k):
                    sping.send(i)
                    select(spong, squit)
                best_ns["select"] = min(best_ns["select"], (time.process_time() - t) / k * 1e9)
            ping.close()
            squit.close()
            out.update(rounds=PAIR_ROUNDS, per_round=k, pingpong_ns=best_ns["pingpong"],
                       select_ns=best_ns["select"],
                       ratio=best_ns["select"] / max(best_ns["pingpong"], 1e-9))
        elif workload in ("park", "floor"):
            import gc
            gc.collect()
            if workload == "floor":
                import tracemalloc
                tracemalloc.start()
                traced0 = tracemalloc.get_traced_memory()[0]
            before = rss_kb()
            parked: gonet.Chan[None] = gonet.Chan(n)
            gate: gonet.Chan[None] = gonet.Chan()
            done: gonet.Chan[None] = gonet.Chan(n)
            t = time.process_time()
            gs = [gonet.go(waiter, parked, gate, done) for _ in range(n)]
            for _ in range(n):
                parked.recv()
            gonet.gosched()  # the last ones reach gate.recv_ok()
            out["spawn_seconds"] = time.process_time() - t
            out["rss_delta_kb"] = rss_kb() - before
            if workload == "floor":
                out["traced_bytes"] = tracemalloc.get_traced_memory()[0] - traced0
                g = gs[-1]
                out["goroutine_bytes"] = sys.getsizeof(g)
                out["greenlet_bytes"] = sys.getsizeof(g.glet)
                # The greenlet's C++ state (UserGreenlet, allocated through PyObject_Malloc)
                # with its object: traced bytes of unstarted greenlets, as go() creates them.
                import greenlet
                t0 = tracemalloc.get_traced_memory()[0]
                spare = [greenlet.greenlet(waiter) for _ in range(1000)]
                out["greenlet_state_bytes"] = (tracemalloc.get_traced_memory()[0] - t0) / 1000
                del spare
                from gonet._runtime.chan import Sudog
                from gonet._runtime.g import ROOT_CHUNK_BYTES
                out["sudog_bytes"] = sys.getsizeof(Sudog())
                out["root_chunk_bytes"] = ROOT_CHUNK_BYTES
                # The frame object greenlet makes of the top Python frame when it switches away.
                out["frame_object_bytes"] = sys.getsizeof(g.glet.gr_frame)
                out["stack_saved_bytes"] = sum(x.glet._stack_saved for x in gs) / n
                # The Python frames of one parked goroutine, as data-stack slots:
                # (locals + cells + free vars + eval stack + 9 header words) x 8 bytes
                # (CPython 3.11 _PyInterpreterFrame). Reading gr_frame materialises
                # frame objects, so only the last goroutine is inspected.
                frames = []
                f = g.glet.gr_frame
                while f is not None:
                    c = f.f_code
                    slots = (len(c.co_varnames) + len(c.co_cellvars) + len(c.co_freevars)
                             + c.co_stacksize + 9)
                    frames.append((c.co_name, slots * 8))
                    f = f.f_back
                out["frames"] = frames
                tracemalloc.stop()
            t = time.process_time()
            gate.close()
            for _ in range(n):
                done.recv()
            out["wake_seconds"] = time.process_time() - t
            del gs

    gonet.run(main)
    return out


# --- asyncio --------------------------------------------------------------------------

def asyncio_worker(workload: str, n: int) -> dict[str, Any]:
    """asyncio_worker runs one workload with asyncio.Queue and create_task."""
    import asyncio

    out: dict[str, Any] = {"n": n}

    async def echo(ping: asyncio.Queue[int], pong: asyncio.Queue[int]) -> None:
        while True:
            v = await ping.get()
            if v < 0:
                return
            await pong.put(v)

    async def waiter(parked: asyncio.Queue[None], gate: asyncio.Event,
                     done: asyncio.Queue[None]) -> None:
        parked.put_nowait(None)
        await gate.wait()
        done.put_nowait(None)

    async def main() -> None:
        if workload == "pingpong":
            ping: asyncio.Queue[int] = asyncio.Queue(1)
            pong: asyncio.Queue[int] = asyncio.Queue(1)
            task = asyncio.create_task(echo(ping, pong))
            t = time.process_time()
            for i in range(n):
                await ping.put(i)
                await pong.get()
            out["seconds"] = time.process_time() - t
            await ping.put(-1)
            await task
        elif workload == "park":
            import gc
            gc.collect()
            before = rss_kb()
            parked: asyncio.Queue[None] = asyncio.Queue()
            gate = asyncio.Event()
            done: asyncio.Queue[None] = asyncio.Queue()
            t = time.process_time()
            tasks = [asyncio.create_task(waiter(parked, gate, done)) for _ in range(n)]
            for _ in range(n):
                await parked.get()
            await asyncio.sleep(0)
            out["spawn_seconds"] = time.process_time() - t
            out["rss_delta_kb"] = rss_kb() - before
            t = time.process_time()
            gate.set()
            for _ in range(n):
                await done.get()
            out["wake_seconds"] = time.process_time() - t
            del tasks

    asyncio.run(main())
    return out


# --- gevent ---------------------------------------------------------------------------

def gevent_worker(workload: str, n: int, queue_cls: str) -> dict[str, Any]:
    """gevent_worker runs one workload with gevent.queue.Channel/Queue and spawn."""
    import gevent
    import gevent.event
    import gevent.queue

    out: dict[str, Any] = {"n": n}
    make = gevent.queue.Channel if queue_cls == "channel" else (lambda: gevent.queue.Queue(1))

    def echo(ping: Any, pong: Any) -> None:
        while True:
            v = ping.get()
            if v < 0:
                return
            pong.put(v)

    def waiter(parked: Any, gate: Any, done: Any) -> None:
        parked.put_nowait(None)
        gate.wait()
        done.put_nowait(None)

    if workload == "pingpong":
        ping, pong = make(), make()
        glet = gevent.spawn(echo, ping, pong)
        t = time.process_time()
        for i in range(n):
            ping.put(i)
            pong.get()
        out["seconds"] = time.process_time() - t
        ping.put(-1)
        glet.join()
    elif workload == "park":
        import gc
        gc.collect()
        before = rss_kb()
        parked: Any = gevent.queue.Queue()
        gate = gevent.event.Event()
        done: Any = gevent.queue.Queue()
        t = time.process_time()
        glets = [gevent.spawn(waiter, parked, gate, done) for _ in range(n)]
        for _ in range(n):
            parked.get()
        gevent.sleep(0)
        out["spawn_seconds"] = time.process_time() - t
        out["rss_delta_kb"] = rss_kb() - before
        t = time.process_time()
        gate.set()
        for _ in range(n):
            done.get()
        out["wake_seconds"] = time.process_time() - t
        del glets
    return out


# --- the driver -----------------------------------------------------------------------

def ensure_go() -> Path | None:
    """ensure_go builds bench/build/go_chan when Go is installed and the build is stale."""
    go = shutil.which("go")
    if go is None:
        return None
    if not GO_BIN.exists() or GO_BIN.stat().st_mtime < GO_SRC.stat().st_mtime:
        GO_BIN.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOCACHE": str(GO_BIN.parent / "gocache"), "GOFLAGS": "",
               "GO111MODULE": "off", "GOPATH": str(GO_BIN.parent / "gopath")}
        r = subprocess.run([go, "build", "-o", str(GO_BIN), "main.go"], cwd=GO_SRC.parent,
                           env=env, capture_output=True, text=True, timeout=600, check=False)
        if r.returncode != 0:
            sys.stderr.write(f"go build failed: {r.stderr[-300:]}\n")
            return None
    return GO_BIN


def supported(impl: str, workload: str) -> bool:
    """supported tells whether ``impl`` has a form of ``workload``."""
    if workload == "select":
        return impl in ("gonet", "gonet_plain", "go")
    if workload == "select_pair":
        return impl in ("gonet", "gonet_plain")
    if workload in ("floor", "echo"):
        return impl in ("gonet", "gonet_plain")
    if workload == "park":
        return impl != "gevent_queue"
    return True


def worker_command(impl: str, workload: str, n: int, go_bin: Path | None,
                   python: str = sys.executable) -> tuple[list[str], dict[str, str]] | None:
    """worker_command is the (argv, environment) of one measurement, unpinned.

    The one definition of how a worker is started, for :func:`run_one` and the
    suite (``suite_chan.py``); None when ``impl`` is Go and Go is not built."""
    env = dict(os.environ)
    env.pop("GONET_PURE_PYTHON", None)
    if impl == "go":
        if go_bin is None:
            return None
        env["GOMAXPROCS"] = "1"
        return [str(go_bin), workload, str(n)], env
    if impl == "gonet_plain":
        env["GONET_PURE_PYTHON"] = "1"
    return [python, str(Path(__file__).resolve()), "--worker", impl, workload, str(n)], env


def run_one(impl: str, workload: str, n: int, go_bin: Path | None) -> dict[str, Any] | None:
    """run_one runs one measurement in a fresh process pinned to one CPU."""
    pin = ["taskset", "-c", CPU] if shutil.which("taskset") else []
    command = worker_command(impl, workload, n, go_bin)
    if command is None:
        return None
    cmd, env = command
    r = subprocess.run([*pin, *cmd], env=env, capture_output=True, text=True, timeout=600,
                       check=False)
    if r.returncode != 0:
        sys.stderr.write(f"{impl} {workload}: failed: {r.stderr[-500:]}\n")
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def best(runs: list[dict[str, Any]], key: str) -> float:
    """best is the smallest value of ``key`` over the runs (the least disturbed one)."""
    return float(min(r[key] for r in runs))


def main(argv: list[str] | None = None) -> int:
    """main runs every workload for every implementation and prints the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--worker", nargs=3, metavar=("IMPL", "WORKLOAD", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="smaller counts, one round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--impls", default=",".join(IMPLS))
    ap.add_argument("--workloads", default="pingpong,select,park,floor")
    ap.add_argument("--json", type=Path, help="write the raw numbers here")
    a = ap.parse_args(argv)
    if a.worker:
        impl, workload, n_s = a.worker
        n = int(n_s)
        if impl.startswith("gonet"):
            res = gonet_worker(workload, n)
        elif impl == "asyncio":
            res = asyncio_worker(workload, n)
        else:
            res = gevent_worker(workload, n, "channel" if impl == "gevent" else "queue")
        print(json.dumps(res))
        return 0

    rounds = 1 if a.quick else a.rounds
    n_rt = ROUND_TRIPS_QUICK if a.quick else ROUND_TRIPS
    n_park = PARKED
    impls = [i for i in a.impls.split(",") if i]
    workloads = [w for w in a.workloads.split(",") if w]
    go_bin = ensure_go() if "go" in impls else None
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for workload in workloads:
        n = n_rt if workload in ("pingpong", "select", "select_pair") else n_park
        for _ in range(rounds):  # interleaved: A B C ... A B C ...
            for impl in impls:
                if not supported(impl, workload):
                    continue
                nn = n * GO_ROUND_TRIPS_FACTOR if impl == "go" and n == n_rt else n
                r = run_one(impl, workload, nn, go_bin)
                if r is not None:
                    results.setdefault(workload, {}).setdefault(impl, []).append(r)
    print_table(results, impls)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))
    return 0


def print_table(results: dict[str, dict[str, list[dict[str, Any]]]], impls: list[str]) -> None:
    """print_table prints one Markdown table; ratios are against gonet compiled."""
    rows: list[tuple[str, dict[str, float], bool]] = []  # (label, impl -> value, higher is better)
    if "pingpong" in results:
        rows.append(("unbuffered ping-pong, round trips/s",
                     {i: r[0]["n"] / best(r, "seconds") for i, r in results["pingpong"].items()},
                     True))
    if "select" in results:
        rows.append(("select ping-pong, round trips/s",
                     {i: r[0]["n"] / best(r, "seconds") for i, r in results["select"].items()},
                     True))
    if "park" in results:
        park = results["park"]
        n = next(iter(park.values()))[0]["n"]
        rows.append((f"spawn {n:,} and park, s", {i: best(r, "spawn_seconds")
                                                    for i, r in park.items()}, False))
        rows.append((f"wake all {n:,}, s", {i: best(r, "wake_seconds")
                                             for i, r in park.items()}, False))
        rows.append(("RSS per parked goroutine, bytes",
                     {i: best(r, "rss_delta_kb") * 1024 / r[0]["n"] for i, r in park.items()},
                     False))
    cols = [i for i in impls if any(i in v for _, v, _ in rows)]
    print("| operation | " + " | ".join(IMPL_TITLES[c] for c in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for label, vals, _higher in rows:
        base = vals.get("gonet")
        cells = []
        for c in cols:
            v = vals.get(c)
            if v is None:
                cells.append("—")
                continue
            text = f"{v:,.0f}" if v >= 100 else f"{v:.3f}"
            if base and c != "gonet":
                text += f" ({base / v:.2f}x)"
            cells.append(text)
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\n(x) = gonet compiled / that column: above 1 for a rate means gonet is faster, "
          "for seconds and bytes it means gonet is slower.")
    if "select" in results and "pingpong" in results:
        for impl in ("gonet", "gonet_plain"):
            if impl in results["select"] and impl in results["pingpong"]:
                s = best(results["select"][impl], "seconds") / results["select"][impl][0]["n"]
                p = best(results["pingpong"][impl], "seconds") / results["pingpong"][impl][0]["n"]
                print(f"{IMPL_TITLES[impl]}: select round trip = {s / p:.2f}x a plain one")
    for impl, runs in results.get("select_pair", {}).items():
        r = min(runs, key=lambda x: x["ratio"])
        print(f"{IMPL_TITLES[impl]}, one process, interleaved ({r['rounds']} rounds of "
              f"{r['per_round']:,} each, best of each): select {r['select_ns']:,.0f} ns, plain "
              f"{r['pingpong_ns']:,.0f} ns, {r['ratio']:.2f}x")
    for impl, runs in results.get("floor", {}).items():
        r = min(runs, key=lambda x: x["rss_delta_kb"])
        n = r["n"]
        print(f"\n{IMPL_TITLES[impl]}, one parked goroutine (N={n:,}):")
        print(f"  RSS growth            {r['rss_delta_kb'] * 1024 / n:8.0f} B  (with tracemalloc "
              "on: a little above the park row's)")
        print(f"  traced heap           {r['traced_bytes'] / n:8.0f} B  (tracemalloc: every "
              "Python/PyMem allocation, raw ones too)")
        chunk = r.get("root_chunk_bytes", 0)
        if chunk:
            print(f"    data-stack root chunk {chunk:6d} B  (g.pxd: malloc'd, four to a page)")
        print(f"    saved C stack       {r['stack_saved_bytes']:8.0f} B  (greenlet._stack_saved)")
        print(f"    greenlet + C++ state {r['greenlet_state_bytes']:7.0f} B  (object "
              f"{r['greenlet_bytes']} B by sys.getsizeof)")
        print(f"    Goroutine object    {r['goroutine_bytes']:8d} B")
        print(f"    Sudog               {r['sudog_bytes']:8d} B")
        print(f"    top frame object    {r['frame_object_bytes']:8d} B  (made by greenlet's "
              "switch)")
        fr = sum(b for _, b in r["frames"])
        where = "in the root chunk" if chunk else "in the data stack"
        print(f"  Python frames         {fr:8d} B  {where}: "
              + ", ".join(f"{name} {b}" for name, b in r["frames"]))
        rest = "tracemalloc's own records, malloc overhead" if chunk else \
            "the greenlet's own 16 KiB data-stack chunk: one touched 4 KiB page; malloc overhead"
        print(f"  untraced rest         {r['rss_delta_kb'] * 1024 / n - r['traced_bytes'] / n:8.0f} B"
              f"  ({rest})")


if __name__ == "__main__":
    sys.exit(main())
