"""suite_tls: issue 9's TLS echo rows in the suite (servers and load generator: tls_bench.py).

``tls_bench.py`` (the TLS work) defines the TLS echo servers, the workloads and the
C load generator that speaks TLS; this module registers them with the suite the
way bench/README.md ("Adding a workload") describes: a kind ``tls_echo`` whose
runs are the plain echo runs (same warm-up, pinning, CPU sampling) with
``tls_loadgen`` in place of ``loadgen``, workloads whose ratios refer to
``tls_gonet``, and servers that run in those workloads only.
"""

import dataclasses
from pathlib import Path

from measure import Runner, register_kind, run_echo
from suite import EXTRA_WORKLOADS, SERVERS, BenchError, Json, ServerSpec, Workload
from tls_bench import TLS_SERVERS, TLS_WORKLOADS, ensure_tls_loadgen

_built: dict[str, Path | str] = {}  # "loadgen" -> binary, or the reason it cannot be built


def run_tls_echo(r: Runner, spec: ServerSpec, w: Workload, tag: str) -> Json:
    """run_tls_echo: one echo run against a TLS server, driven by tls_loadgen."""
    if "loadgen" not in _built:
        try:
            _built["loadgen"] = ensure_tls_loadgen()
        except BenchError as e:  # built once per suite run; the failure is kept too
            _built["loadgen"] = str(e)
    loadgen = _built["loadgen"]
    if isinstance(loadgen, str):
        raise BenchError(loadgen)
    return run_echo(dataclasses.replace(r, loadgen=loadgen), spec, w, tag)


register_kind("tls_echo", run_tls_echo, chart="echo")
_NAMES = tuple(TLS_WORKLOADS)
EXTRA_WORKLOADS.extend((dataclasses.replace(w, kind="tls_echo", baseline="tls_gonet"), True)
                       for w in TLS_WORKLOADS.values())
SERVERS.extend(dataclasses.replace(s, only=_NAMES, warm="tls") for s in TLS_SERVERS)
