"""``python -m gonet serve`` arguments: app loading, binds, bad options (no server needed).

The serving behaviour itself is in test_http_ops_serve.py (real processes, curl).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gonet.http.cli import AppError, load_app, open_sockets

APP_MODULE = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]

class holder:
    inner = app

def create_app(greeting="hi", *, n=1):
    def made(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [(greeting * n).encode()]
    return made

application = app
not_callable = 42
'''


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    name = f"opsapp_{os.getpid()}_{abs(hash(str(tmp_path))) % 10**6}"
    (tmp_path / f"{name}.py").write_text(APP_MODULE)
    (tmp_path / "broken_mod.py").write_text("import no_such_module_xyz\n")
    (tmp_path / "raising_mod.py").write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("OPSAPP", name)
    return tmp_path


def _body(app: object) -> bytes:
    out: list[str] = []
    body = b"".join(app({"REQUEST_METHOD": "GET"}, lambda s, h, e=None: out.append(s)))  # type: ignore[operator]
    assert out == ["200 OK"]
    return body


def test_load_app_forms(app_dir: Path) -> None:
    name = os.environ["OPSAPP"]
    assert _body(load_app(f"{name}:app")) == b"app"
    assert _body(load_app(f"{name}:holder.inner")) == b"app"
    assert _body(load_app(name)) == b"app"  # module alone: app, then application
    assert _body(load_app(f"{name}:create_app()")) == b"hi"
    assert _body(load_app(f"{name}:create_app('yo', n=2)")) == b"yoyo"


@pytest.mark.parametrize(("spec", "message"), [
    ("no_such_pkg_abc:app", "cannot import module 'no_such_pkg_abc'"),
    ("{name}:missing", "has no attribute 'missing'"),
    ("{name}:not_callable", "not_callable is a int, not a WSGI app"),
    ("{name}:create_app(open('x'))", "factory arguments must be Python literals"),
    ("broken_mod:app", "importing 'broken_mod' failed"),
    ("raising_mod:app", "boom at import"),
    ("1bad:app", "expected module:app"),
])
def test_load_app_errors(app_dir: Path, spec: str, message: str) -> None:
    with pytest.raises(AppError, match=None) as ei:
        load_app(spec.format(name=os.environ["OPSAPP"]))
    assert message in str(ei.value)


def test_open_sockets_shared_or_one_reuse_port_socket_per_worker(tmp_path: Path) -> None:
    b = open_sockets(["127.0.0.1:0", f"unix:{tmp_path}/s.sock"])
    try:
        assert len(b.shared) == 2 and not b.per_worker
        tcp = b.shared[0]
        assert tcp.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        assert b.names[0] == f"http://127.0.0.1:{tcp.getsockname()[1]}"
        assert b.names[1] == f"unix:{tmp_path}/s.sock"
    finally:
        b.close()
    assert not (tmp_path / "s.sock").exists()
    r = open_sockets(["127.0.0.1:0", f"unix:{tmp_path}/t.sock"], reuse_port_workers=3)
    try:
        assert len(r.per_worker) == 3 and all(len(slot) == 1 for slot in r.per_worker)
        ports = {slot[0].getsockname()[1] for slot in r.per_worker}
        assert len(ports) == 1  # three listening sockets on one port
        for slot in r.per_worker:
            assert slot[0].getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
            assert slot[0].getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        assert len(r.shared) == 1 and r.shared[0].family == socket.AF_UNIX  # unix: shared
        assert r.names[0] == f"http://127.0.0.1:{ports.pop()}"
    finally:
        r.close()
    with pytest.raises(AppError, match="missing port"):
        open_sockets(["8000"])


def _serve(*args: str, env: dict[str, str] | None = None, pre: str = ""
           ) -> subprocess.CompletedProcess[str]:
    code = pre + "import sys; from gonet.__main__ import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, "serve", *args], capture_output=True,
                          text=True, timeout=30, env=env)


def test_bad_arguments_exit_2_with_a_message(app_dir: Path) -> None:
    r = _serve("no_such_pkg_abc:app")
    assert r.returncode == 2 and "cannot import module 'no_such_pkg_abc'" in r.stderr
    r = _serve("--workers", "0")
    assert r.returncode == 2 and "--workers must be at least 1" in r.stderr
    r = _serve("--bind", "nonsense")
    assert r.returncode == 2 and "--bind nonsense" in r.stderr
    for bad in (["--idle-timeout", "0"], ["--read-header-timeout", "nan"],
                ["--graceful-timeout", "-1"], ["--max-conns", "0"]):
        r = _serve(*bad)
        assert r.returncode == 2 and f"{bad[0]} must be" in r.stderr, (bad, r.stderr)
    r = _serve("--keyfile", "k.pem")
    assert r.returncode == 2 and "--keyfile needs --certfile" in r.stderr


def test_address_in_use_exits_1() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = _serve("--bind", f"127.0.0.1:{s.getsockname()[1]}")
    assert r.returncode == 1 and "Address already in use" in r.stderr


def test_tls_flags_without_gonet_tls_say_so(tmp_path: Path) -> None:
    # Make gonet.tls unimportable in the child, whether or not it exists here.
    block = textwrap.dedent("""
        import sys, importlib.abc
        class _NoTLS(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "gonet.tls":
                    raise ImportError("blocked", name=name)
        sys.meta_path.insert(0, _NoTLS())
    """)
    r = _serve("--certfile", str(tmp_path / "c.pem"), "--keyfile", str(tmp_path / "k.pem"),
               pre=block)
    assert r.returncode == 2, r.stderr
    assert "TLS needs gonet.tls" in r.stderr


def test_help_lists_the_options() -> None:
    r = subprocess.run([sys.executable, "-m", "gonet", "serve", "--help"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0
    for opt in ("--bind", "--workers", "--access-log", "--certfile", "--keyfile",
                "--forwarded-allow-ips", "--graceful-timeout", "--debug-page"):
        assert opt in r.stdout
