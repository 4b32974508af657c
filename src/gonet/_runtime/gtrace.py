"""Goroutine dumps (Go's ``runtime/traceback.go``): what ``gonet.dump()`` and ``SIGQUIT`` print.

A leaf below the scheduler: it reads goroutines and the runtime's ``allgs``
and ``clock`` and imports nothing above :mod:`.g`, so :mod:`.proc` imports
it at the top for its deadlock message.

:func:`dump_all` writes every goroutine with its id, state, wait reason, how
long it has been waiting, and its stack; above :data:`SUMMARY_THRESHOLD`
goroutines it groups them (Go's goroutine profile at ``debug=1``).
"""

from __future__ import annotations

import sys
import traceback
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from .g import Goroutine, current_sched
from .gstatus import DEAD, IDLE, RUNNABLE, RUNNING, STATUS_NAMES, WAITING

if TYPE_CHECKING:
    from .proc import Runtime

__all__ = [
    "RUNTIME_PATHS",
    "SUMMARY_THRESHOLD",
    "dump_all",
    "format_goroutine",
    "format_goroutines",
    "format_summary",
    "is_runtime_file",
]

#: Above this many goroutines, dump() (and SIGQUIT) writes the grouped summary.
SUMMARY_THRESHOLD = 5000


# Frames of these modules sit between the user's call to dump() and the stack
# they want to see.
_DUMP_MODULES = frozenset({"gonet", "gonet._runtime.debug", "gonet._runtime.gtrace"})

#: Where gonet's runtime frames come from: dropped from a stack, as
#: Go hides runtime frames. Every compiled module lives under one of these
#: (tests/test_dump_frames.py checks), so the plain build, where those modules do
#: have Python frames, shows the same stack as the compiled one, where they
#: have none.
RUNTIME_PATHS = ("/gonet/_runtime/", "/gonet/_poll/", "/gonet/net/conn.py",
                 "/gonet/http/_h1/parse.py", "/gonet/http/_h1/serialize.py",
                 "/gonet/http/request.py", "/gonet/http/response.py",
                 "/gonet/http/conn.py", "/gonet/http/wsgi.py", "/gonet/http/wsgienv.py",
                 "/gonet/tls/lock.py", "/gonet/tls/readbuf.py", "/gonet/tls/record.py",
                 "/gonet/tls/info.py", "/gonet/tls/conn.py", "/gonet/_patch/locks.py",
                 "/gonet/_patch/polling.py", "/gonet/_patch/sockio.py")


def is_runtime_file(filename: str) -> bool:
    """is_runtime_file reports whether frames of ``filename`` are gonet's runtime (hidden in dumps)."""
    return any(p in filename for p in RUNTIME_PATHS)


def _waited(seconds: float) -> str:
    if seconds >= 60.0:
        minutes = int(seconds // 60)
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"{seconds:.1f} seconds"


def _frame_of(rt: Runtime, g: Goroutine) -> FrameType | None:
    if g.status == RUNNING and g is rt.curg:
        # The running goroutine is the caller of dump(); skip dump's own frames.
        f: FrameType | None = sys._getframe(0)
        while f is not None and f.f_globals.get("__name__", "") in _DUMP_MODULES:
            f = f.f_back
        return f
    glet = g.glet
    return glet.gr_frame if glet is not None else None


def format_goroutine(rt: Runtime, g: Goroutine) -> str:
    """format_goroutine renders one goroutine as Go's traceback header and a Python stack."""
    if g.status == WAITING:
        state = f"{g.waitreason}, {_waited(max(0.0, rt.clock.now() - g.waitsince))}"
    else:
        state = STATUS_NAMES[g.status]
    lines = [f"goroutine {g.id} [{state}]:\n"]
    frame = _frame_of(rt, g)
    if frame is not None:
        # Drop gonet's own runtime frames: the user wants to see where *their*
        # code blocked (Go hides runtime frames too). Dropped wherever they sit,
        # not only at the ends: a compiled module (gonet.http's connection loop
        # between the server and the handler) has no frame in the compiled build.
        summaries = [s for s in traceback.extract_stack(frame)
                     if not is_runtime_file(s.filename)]
        lines.extend(traceback.format_list(summaries))
    elif g.status in (IDLE, RUNNABLE) and g.fn is not None:
        lines.append(f"  created, not yet started: {getattr(g.fn, '__qualname__', g.fn)!s}\n")
    return "".join(lines)


def format_goroutines(rt: Runtime) -> str:
    """format_goroutines renders every live goroutine of ``rt``, in id order."""
    gs = sorted((g for g in rt.allgs.values() if g.status != DEAD), key=lambda g: g.id)
    return "\n".join(format_goroutine(rt, g) for g in gs)


def _state(rt: Runtime, g: Goroutine) -> str:
    return g.waitreason if g.status == WAITING else STATUS_NAMES[g.status]


def _stack_key(rt: Runtime, g: Goroutine) -> tuple[tuple[str, str, int], ...]:
    # The user's frames, innermost first, as (function, file, line): no source
    # lines are read (traceback.format_stack would, for every goroutine).
    frame = _frame_of(rt, g)
    if frame is None:
        if g.fn is not None:
            return ((f"created, not yet started: {getattr(g.fn, '__qualname__', g.fn)!s}", "", 0),)
        return ()
    frames: list[tuple[str, str, int]] = []
    f: FrameType | None = frame
    while f is not None:
        code = f.f_code
        frames.append((code.co_qualname, code.co_filename, f.f_lineno or 0))
        f = f.f_back
    # As in the full dump: drop gonet's runtime frames wherever they sit.
    return tuple(fr for fr in frames if not is_runtime_file(fr[1]))


def format_summary(rt: Runtime) -> str:
    """format_summary groups the live goroutines of ``rt`` by state and stack (Go's ``debug=1``).

    Like Go's goroutine profile at debug level 1: a total, then one entry per
    distinct (wait reason, stack), most frequent first::

        goroutine profile: total 10003
        10000 @ [IO wait]
        #\thandle\t/srv/app.py:12
        #\tserve\t/srv/app.py:30
    """
    groups: dict[tuple[str, tuple[tuple[str, str, int], ...]], int] = {}
    total = 0
    for g in list(rt.allgs.values()):
        if g.status == DEAD:
            continue
        total += 1
        key = (_state(rt, g), _stack_key(rt, g))
        groups[key] = groups.get(key, 0) + 1
    lines = [f"goroutine profile: total {total}\n"]
    for (state, stack), n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0][0])):
        lines.append(f"{n} @ [{state}]\n")
        for fn, filename, lineno in stack:
            lines.append(f"#\t{fn}\t{filename}:{lineno}\n" if filename else f"#\t{fn}\n")
        lines.append("\n")
    return "".join(lines)


def dump_all(file: TextIO | None = None, summary: bool | None = None) -> None:
    """dump_all writes the goroutines of this thread's runtime to ``file`` (stderr).

    ``summary`` True: grouped by state and stack (:func:`format_summary`);
    False: every goroutine; None: the summary above :data:`SUMMARY_THRESHOLD`
    goroutines, every goroutine otherwise.
    """
    out = file if file is not None else sys.stderr
    rt: Runtime | None = current_sched()  # type: ignore[assignment]
    if rt is None:
        out.write("gonet: no runtime on this thread\n")
        return
    if summary is None:
        summary = len(rt.allgs) > SUMMARY_THRESHOLD
    out.write(format_summary(rt) if summary else format_goroutines(rt))
    out.write("\n")
    out.flush()
