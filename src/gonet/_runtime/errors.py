"""Errors of the runtime layer (Go's ``runtime/error.go`` and ``throw``).

Three kinds are kept apart, as Go keeps them apart:

* :class:`GoroutineExit` is control flow: it is thrown into goroutines still
  alive when ``run()`` ends so their ``finally``/``with`` blocks run.
* :class:`DeadlockError` is the user's bug the scheduler can prove: Go's
  ``fatal error: all goroutines are asleep - deadlock!``.
* :class:`InternalError` is *our* bug: a broken invariant (Go's ``throw``).
"""

from __future__ import annotations

__all__ = ["DeadlockError", "GoroutineExit", "InternalError", "throw"]


class GoroutineExit(BaseException):
    """GoroutineExit stops a goroutine when its runtime shuts down.

    It derives from ``BaseException`` (like ``GeneratorExit``) so that
    ``except Exception`` in user code does not swallow it.
    """


class DeadlockError(RuntimeError):
    """DeadlockError is raised from ``run()`` when no goroutine can ever run again.

    The main goroutine is parked, nothing is runnable, and no timer, fd waiter
    or pending ``blocking()`` call can wake anybody (Go's ``checkdead``).
    """


class InternalError(RuntimeError):
    """InternalError reports a broken runtime invariant (Go's ``throw``)."""


def throw(msg: str) -> InternalError:
    """throw builds the error for a broken invariant, with Go's message.

    Callers ``raise throw("runtime: double wait")`` so the raise stays visible
    at the call site.
    """
    return InternalError(msg)
