"""The leak-check pytest plugin is opt-in: installing gonet changes no other project's suite.

Each test runs pytest in a subprocess on a throw-away project (in
``tmp_path``) written the way ordinary suites are: a socket cached in a module
global, a ``logging.FileHandler``, a ``gonet.run()`` that returns with a
goroutine still parked. Without opting in it passes; opted in (``-p`` or
``pytest_plugins``), gonet's leak checks fail it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

USER_TESTS = '''
import logging
import socket

import gonet

_cache = []


def test_caches_a_socket_in_a_module_global():
    if not _cache:
        _cache.append(socket.socket())


def test_keeps_a_log_file_open(tmp_path_factory):
    log = logging.getLogger("user-project")
    log.addHandler(logging.FileHandler(tmp_path_factory.mktemp("log") / "app.log"))
    log.warning("hello")


def test_run_returns_with_a_goroutine_parked():
    def main():
        forever = gonet.Chan()
        gonet.go(forever.recv)
        gonet.sleep(0)

    gonet.run(main)
'''


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A clean pytest environment: nothing inherited from this run's own options.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # rootdir here, not gonet's pyproject
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    return tmp_path


@pytest.mark.timeout(150)
def test_installed_gonet_does_not_load_its_plugin(project: Path) -> None:
    r = _pytest(project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 passed" in r.stdout, r.stdout
    assert "leaked" not in r.stdout + r.stderr


def _assert_leak_checks_failed(r: subprocess.CompletedProcess[str]) -> None:
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "test leaked file descriptors" in out, out
    assert "1 goroutine(s) still alive" in out, out
    assert "3 passed, 3 errors" in out, out  # the checks fail at teardown


@pytest.mark.timeout(150)
def test_opt_in_with_dash_p(project: Path) -> None:
    _assert_leak_checks_failed(_pytest(project, "-p", "gonet.testing.pytest_plugin"))


@pytest.mark.timeout(150)
def test_opt_in_with_pytest_plugins_in_conftest(project: Path) -> None:
    (project / "conftest.py").write_text('pytest_plugins = ["gonet.testing.pytest_plugin"]\n')
    _assert_leak_checks_failed(_pytest(project))
