"""Addresses: Go's SplitHostPort/JoinHostPort tables (go1.22 ``net/ip_test.go``), Addr parsing.

The split/join tests are pure (no runtime, no sockets). The parsing tests go
through the public API (``listen``, ``dial``, ``listen_packet``) with IP
literals and ports only, so they never depend on the network or a resolver,
except the service-name test, which reads ``/etc/services`` like Go does.
"""

from __future__ import annotations

import socket

import pytest

import gonet
from gonet.testing import gotest

# Go's splitJoinTests: (host, port, joined). SplitHostPort(joined) == (host, port)
# and JoinHostPort(host, port) == joined.
SPLIT_JOIN = [
    ("www.google.com", "80", "www.google.com:80"),
    ("127.0.0.1", "1234", "127.0.0.1:1234"),
    ("::1", "80", "[::1]:80"),
    ("fe80::1%lo0", "80", "[fe80::1%lo0]:80"),
    ("localhost%lo0", "80", "localhost%lo0:80"),
    ("", "0", ":0"),
    ("google.com", "https%foo", "google.com:https%foo"),  # Go 1.0 behaviour
    ("127.0.0.1", "", "127.0.0.1:"),  # Go 1.0 behaviour
    ("www.google.com", "", "www.google.com:"),  # Go 1.0 behaviour
]

# Go's splitFailureTests: (hostport, AddrError.Err).
SPLIT_FAILURES = [
    ("www.google.com", "missing port in address"),
    ("127.0.0.1", "missing port in address"),
    ("[::1]", "missing port in address"),
    ("[fe80::1%lo0]", "missing port in address"),
    ("[localhost%lo0]", "missing port in address"),
    ("localhost%lo0", "missing port in address"),
    ("::1", "too many colons in address"),
    ("fe80::1%lo0", "too many colons in address"),
    ("fe80::1%lo0:80", "too many colons in address"),
    # Cases that did not fail in Go 1.0.
    ("[foo:bar]", "missing port in address"),
    ("[foo:bar]baz", "missing port in address"),
    ("[foo]bar:baz", "missing port in address"),
    ("[foo]:[bar]:baz", "too many colons in address"),
    ("[foo]:[bar]baz", "unexpected '[' in address"),
    ("foo[bar]:baz", "unexpected '[' in address"),
    ("foo]bar:baz", "unexpected ']' in address"),
    # Missing ']'.
    ("[::1:80", "missing ']' in address"),
    ("[foo:80", "missing ']' in address"),
]


@pytest.mark.parametrize(("host", "port", "joined"), SPLIT_JOIN)
def test_split_host_port(host: str, port: str, joined: str) -> None:
    assert gonet.split_host_port(joined) == (host, port)


@pytest.mark.parametrize(("host", "port", "joined"), SPLIT_JOIN)
def test_join_host_port(host: str, port: str, joined: str) -> None:
    assert gonet.join_host_port(host, port) == joined


def test_split_host_port_bracketed_zone_without_colon() -> None:
    # "[localhost%lo0]:80" splits (brackets are allowed around any host) ...
    assert gonet.split_host_port("[localhost%lo0]:80") == ("localhost%lo0", "80")
    # ... but joining puts brackets only around hosts that contain ':'.
    assert gonet.join_host_port("localhost%lo0", "80") == "localhost%lo0:80"


@pytest.mark.parametrize(("hostport", "err"), SPLIT_FAILURES)
def test_split_host_port_errors(hostport: str, err: str) -> None:
    with pytest.raises(gonet.AddrError) as info:
        gonet.split_host_port(hostport)
    e = info.value
    assert isinstance(e, ValueError)  # AddrError is a ValueError
    assert e.err == err
    assert e.addr == hostport
    assert str(e) == f"address {hostport}: {err}"


@pytest.mark.parametrize(("host", "port", "joined"), SPLIT_JOIN)
def test_split_join_round_trip(host: str, port: str, joined: str) -> None:
    h, p = gonet.split_host_port(gonet.join_host_port(host, port))
    assert (h, p) == (host, port)


def test_addr_str_and_equality() -> None:
    a = gonet.Addr("tcp", "127.0.0.1", 8080)
    assert str(a) == "127.0.0.1:8080"
    assert str(gonet.Addr("tcp", "::1", 8080)) == "[::1]:8080"
    assert str(gonet.Addr("tcp", "fe80::1%lo", 80)) == "[fe80::1%lo]:80"
    assert str(gonet.Addr("unix", "/tmp/x.sock")) == "/tmp/x.sock"
    assert str(gonet.Addr("unix", "@abstract")) == "@abstract"
    assert gonet.Addr("unix", "/tmp/x.sock").port is None
    assert (a.network, a.host, a.port) == ("tcp", "127.0.0.1", 8080)
    # Addr is a value: equal fields compare and hash equal.
    assert a == gonet.Addr("tcp", "127.0.0.1", 8080)
    assert a != gonet.Addr("udp", "127.0.0.1", 8080)
    assert len({a, gonet.Addr("tcp", "127.0.0.1", 8080)}) == 1
    with pytest.raises(AttributeError):
        a.port = 1  # type: ignore[misc]


@gotest
def test_listen_accepts_host_port_tuple() -> None:
    with gonet.listen("tcp", ("127.0.0.1", 0)) as ln:
        addr = ln.addr
        assert addr is not None
        assert addr.host == "127.0.0.1"
        assert addr.port is not None and addr.port > 0
        g = gonet.go(ln.accept)
        with gonet.dial("tcp", ("127.0.0.1", addr.port)) as c:
            assert c.remote_addr == addr
            with g.join() as s:
                assert s.remote_addr == c.local_addr


@gotest
def test_dial_accepts_addr_string_form() -> None:
    with gonet.listen("tcp4", "127.0.0.1:0") as ln:
        addr = ln.addr
        assert addr is not None
        g = gonet.go(ln.accept)
        with gonet.dial("tcp", str(addr)) as c, g.join():
            assert str(c.remote_addr) == str(addr)
            # Addr.network is the network the conn was made on ("tcp"), the listener's is "tcp4".
            assert c.remote_addr == gonet.Addr("tcp", "127.0.0.1", addr.port)


@gotest
@pytest.mark.parametrize("bad", [
    ("127.0.0.1", 70000),
    ("127.0.0.1", -1),
    ("127.0.0.1", "80"),
    ("127.0.0.1",),
    ("127.0.0.1", 80, 0),
])
def test_bad_tuple_address_raises_value_error(bad: tuple[object, ...]) -> None:
    with pytest.raises(ValueError) as info:
        gonet.listen("tcp", bad)
    assert "127.0.0.1" in str(info.value)


@gotest
@pytest.mark.parametrize("port", ["65536", "99999", "-1", "+70000"])
def test_invalid_numeric_port(port: str) -> None:
    # Go's LookupPort names the port alone: "listen tcp: address 65536: invalid port".
    with pytest.raises(gonet.AddrError) as info:
        gonet.listen("tcp", f"127.0.0.1:{port}")
    assert str(info.value) == f"listen tcp: address {port}: invalid port"
    assert (info.value.err, info.value.addr) == ("invalid port", port)
    assert info.value.op == "listen"  # type: ignore[attr-defined]


@gotest
def test_signed_numeric_port_as_go_parses_it() -> None:
    # Go's parsePort takes an optional sign: "+0" is port 0.
    with gonet.listen("tcp", "127.0.0.1:+0") as ln:
        assert ln.addr is not None and ln.addr.port


@gotest
def test_unknown_service_name() -> None:
    # Go reports it as a failed lookup of "udp/<service>" (net/lookup_unix.go).
    with pytest.raises(ValueError) as info:
        gonet.dial("udp", "127.0.0.1:no-such-service-gonet")
    assert str(info.value) == "dial udp: lookup udp/no-such-service-gonet: unknown port"


@gotest
def test_service_name_resolves_to_port() -> None:
    # Go looks service names up in /etc/services; "http" is 80 wherever that file lists it.
    try:
        want = socket.getservbyname("http", "udp")
    except OSError:
        want = None
    if want is None:
        # No services database: the name cannot be resolved, and says so.
        with pytest.raises(ValueError, match="unknown port"):
            gonet.dial("udp", "127.0.0.1:http")
        return
    assert want == 80
    # A dialed UDP socket sends nothing, so this touches no real service.
    with gonet.dial("udp", "127.0.0.1:http") as c:
        assert c.remote_addr == gonet.Addr("udp", "127.0.0.1", 80)
    with gonet.dial("udp4", "localhost:http") as c:
        assert c.remote_addr == gonet.Addr("udp4", "127.0.0.1", 80)


@gotest
def test_empty_port_means_zero() -> None:
    # Go: "127.0.0.1:" has an empty port, which means 0 (an ephemeral port).
    with gonet.listen("tcp", "127.0.0.1:") as ln:
        assert ln.addr is not None and ln.addr.port is not None
        assert ln.addr.port > 0


@gotest
def test_family_mismatch_is_an_address_error() -> None:
    with pytest.raises(ValueError, match=r"\[::1\]:0"):
        gonet.listen("tcp4", "[::1]:0")
    with pytest.raises(ValueError, match=r"127\.0\.0\.1:0"):
        gonet.listen("tcp6", "127.0.0.1:0")
