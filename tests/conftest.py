"""Shared fixtures. The gonet pytest plugin (leak checks) is loaded by its entry point."""

from __future__ import annotations
