"""gonet._poll: the port of Go's ``internal/poll`` (go1.22).

``FD`` wraps one non-blocking descriptor: the fdMutex that serialises readers
and writers and counts in-flight operations, the read/write/accept loops that
try the syscall first and park on the pollDesc only on ``EAGAIN``, and the
close protocol. It imports :mod:`gonet._runtime` and nothing above it.
"""
