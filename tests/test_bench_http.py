"""The HTTP benchmark's measuring parts (bench/httpload.py), not its speed.

The per-connection spread rests on reading ``ss -tni``: here a real loopback
connection receives a known number of bytes and ``parse_ss`` must find exactly
that many on it; wrk's report and the spread arithmetic are checked on known
inputs. No timing is asserted (speed is measured in bench/, never in tests).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import httpload

pytestmark = pytest.mark.timeout(30)

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:40000/
  1 threads and 1000 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    20.10ms    3.25ms  61.00ms   90.00%
    Req/Sec    49.10k     2.10k   52.00k    70.00%
  Latency Distribution
     50%   19.80ms
     75%   21.00ms
     90%  800.00us
     99%    1.20s
  244000 requests in 5.00s, 30.25MB read
  Socket errors: connect 0, read 12, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  48800.00
Transfer/sec:      6.05MB
"""


def test_parse_wrk_reads_rate_percentiles_and_every_error() -> None:
    """test_parse_wrk_reads_rate_percentiles_and_every_error: units become µs, errors add up."""
    out = httpload.parse_wrk(WRK_OUTPUT)
    assert out["rps"] == 48800.0
    assert out["requests"] == 244000
    assert out["p50"] == pytest.approx(19800.0)
    assert out["p90"] == pytest.approx(800.0)
    assert out["p99"] == pytest.approx(1.2e6)
    assert out["socket_errors"] == {"connect": 0, "read": 12, "write": 0, "timeout": 3}
    assert out["errors"] == 12 + 3 + 7


def test_parse_wrk_rejects_output_without_a_rate() -> None:
    """test_parse_wrk_rejects_output_without_a_rate: a failed wrk is a BenchError, not zeros."""
    with pytest.raises(httpload.BenchError):
        httpload.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_spread_counts_connections_that_got_nothing_and_missing_ones() -> None:
    """test_spread_counts_connections_that_got_nothing_and_missing_ones: 5 asked, 4 seen."""
    out = httpload.spread([0, 100, 200, 300], response_bytes=100, conns=5)
    assert out["conns_seen"] == 4
    assert out["conns_missing"] == 1
    assert out["conns_zero"] == 2  # one that received 0 bytes + one never established
    assert (out["conn_min"], out["conn_p50"], out["conn_max"]) == (0.0, 1.5, 3.0)
    assert out["jain"] == pytest.approx(36 / (5 * 14))


def test_spread_of_an_even_server_is_one() -> None:
    """test_spread_of_an_even_server_is_one: equal counts give Jain's index 1.0."""
    assert httpload.spread([130] * 50, 130, 50)["jain"] == pytest.approx(1.0)


@pytest.mark.skipif(not shutil.which("ss"), reason="ss (iproute2) is not installed")
def test_parse_ss_finds_the_bytes_a_real_connection_received() -> None:
    """test_parse_ss_finds_the_bytes_a_real_connection_received: as the runner reads wrk's."""
    with socket.create_server(("127.0.0.1", 0)) as ln:
        port = ln.getsockname()[1]
        # `_silent` receives nothing: ss then omits bytes_received, which must read as 0.
        with socket.create_connection(("127.0.0.1", port)) as client, \
                socket.create_connection(("127.0.0.1", port)) as _silent:
            peer, _ = ln.accept()
            peer2, _ = ln.accept()
            with peer, peer2:
                peer.sendall(b"x" * 12345)
                got = 0
                while got < 12345:
                    got += len(client.recv(65536))
                text = subprocess.run(
                    ["ss", "-tni", "state", "established", f"( dport = :{port} )"],
                    capture_output=True, text=True, timeout=10, check=True).stdout
    assert sorted(httpload.parse_ss(text)) == [0, 12345]
