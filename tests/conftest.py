"""Shared fixtures. gonet's own suite opts in to the leak-check plugin here.

The plugin is not an entry point (installing gonet must not change other
projects' test suites); users opt in the same way or with
``pytest -p gonet.testing.pytest_plugin``.
"""

from __future__ import annotations

pytest_plugins = ["gonet.testing.pytest_plugin"]
