"""A slice of CPython's own tests, run with gonet.patch() applied (outside any runtime).

Outside a runtime every patched function must be the standard library's: the
interpreter's own tests for sockets (basic TCP, timeouts, non-blocking, socket
pairs, file objects, sendfile), queues (``queue.Queue`` & co. built on hybrid
locks, and the patched ``queue.SimpleQueue``) and threading's lock tests
(``Lock``, ``RLock``, ``Condition``, ``Event``, ``Semaphore``) must pass.
They run in a subprocess that calls ``gonet.patch()`` before importing them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

RUNNER = textwrap.dedent('''
    import sys, unittest
    import gonet
    gonet.patch()
    import queue, threading
    from test import test_queue, test_threading, test_socket
    assert threading.Lock.__module__.startswith("gonet"), threading.Lock
    assert queue.SimpleQueue.__module__.startswith("gonet"), queue.SimpleQueue

    class GonetSimpleQueueTest(test_queue.BaseSimpleQueueTest, unittest.TestCase):
        """BaseSimpleQueueTest against the patched queue.SimpleQueue."""
        def setUp(self):
            self.queue = queue
            self.type2test = queue.SimpleQueue
            super().setUp()

    names = {
        test_socket: ["BasicTCPTest", "TCPTimeoutTest", "NonBlockingTCPTests",
                      "BasicSocketPairTest", "FileObjectClassTestCase", "SendfileUsingSendTest",
                      "NetworkConnectionNoServer", "NetworkConnectionAttributesTest"],
        test_queue: ["PyQueueTest", "CQueueTest", "PyLifoQueueTest", "PyPriorityQueueTest",
                     "PySimpleQueueTest", "CSimpleQueueTest", "PyFailingQueueTest",
                     "CFailingQueueTest"],
        test_threading: ["LockTests", "PyRLockTests", "CRLockTests", "EventTests",
                         "ConditionAsRLockTests", "ConditionTests", "SemaphoreTests",
                         "BoundedSemaphoreTests"],
    }
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for mod, classes in names.items():
        for name in classes:
            suite.addTests(loader.loadTestsFromTestCase(getattr(mod, name)))
    suite.addTests(loader.loadTestsFromTestCase(GonetSimpleQueueTest))
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    print(f"RAN {result.testsRun}")
    sys.exit(0 if result.wasSuccessful() else 1)
''')


def _has_stdlib_tests() -> bool:
    try:
        import test.lock_tests
        import test.test_queue  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.timeout(400)
@pytest.mark.skipif(not _has_stdlib_tests(), reason="this interpreter ships without its test package")
def test_cpython_socket_queue_and_lock_tests_pass_patched(tmp_path: Path) -> None:
    script = tmp_path / "run_stdlib_tests.py"
    script.write_text(RUNNER)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=380, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    ran = int(out.split("RAN ")[1].split()[0])
    assert ran > 150, out[-2000:]
