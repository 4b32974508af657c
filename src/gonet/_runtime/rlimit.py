"""The descriptor limit: raised while gonet runs, the original given back (Go's ``syscall/rlimit.go``).

Go 1.19+ raises the soft ``RLIMIT_NOFILE`` to the hard limit at start-up
(a server needs descriptors; the historical 1024 soft limit exists for
``select()``) and, since Go 1.21, restores the original soft limit in every
child it starts, so programs it runs see the limit they expect.

gonet raises it when ``run()`` starts and puts the original back:

* when the last running runtime of the process has ended, so the process
  (and anything it starts afterwards) is as it was before ``run()``;
* in a child created by ``os.fork()`` — directly, by ``multiprocessing``, or
  by ``subprocess`` with a ``preexec_fn`` — through an
  ``os.register_at_fork(after_in_child=...)`` hook, so exec'd programs start
  with the original limit. A forked child that runs its own ``gonet.run()``
  raises it again for itself, so pre-fork servers keep their descriptors.

Not covered: ``subprocess`` without ``preexec_fn`` starts children with
``vfork``/``posix_spawn`` in C, where no Python hook runs; such a child
inherits the raised limit while a runtime is running (give it the original
with ``preexec_fn``, or start it through ``prlimit``/``ulimit -Sn``).

Either restore happens only if the soft limit is still the one gonet set: a
program that changed it itself keeps its own value.
"""

from __future__ import annotations

import resource

__all__ = ["raise_nofile_limit", "restore_in_child", "restore_nofile_limit"]

#: (original soft limit, the soft limit gonet set) while raised; None otherwise.
_raised: tuple[int, int] | None = None


def raise_nofile_limit() -> None:
    """raise_nofile_limit lifts the soft ``RLIMIT_NOFILE`` to the hard limit, as Go 1.19+ does."""
    global _raised
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if _raised is not None and soft == _raised[1]:
            return  # already raised by a runtime still running
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            _raised = (soft, hard)
    except (ValueError, OSError):
        pass  # best effort, as in Go


def restore_nofile_limit() -> None:
    """restore_nofile_limit puts the original soft limit back, if gonet's is still in place."""
    global _raised
    raised, _raised = _raised, None
    if raised is None:
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == raised[1]:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised[0], hard))
    except (ValueError, OSError):
        pass


def restore_in_child() -> None:
    """restore_in_child is the fork hook: the child starts with the original soft limit."""
    restore_nofile_limit()
