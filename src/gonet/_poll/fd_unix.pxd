# Cython declarations augmenting fd_unix.py (pure-Python mode). See setup.py.
cimport cython
from libc.errno cimport errno, EAGAIN, EINTR
from libc.string cimport strerror
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING
from cpython.bytearray cimport PyByteArray_AS_STRING
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE, PyBUF_WRITABLE

from gonet._runtime.g cimport Sched, current_glet, greenlet_import, thread_ident
from gonet._runtime.netpoll cimport Netpoll, PollDesc, prepare, wait_io
from gonet._poll.fd_mutex cimport FdMutex, rwlock_fast, rwunlock_fast


cdef extern from "sys/socket.h" nogil:
    ssize_t c_recv "recv" (int fd, void *buf, size_t n, int flags)
    ssize_t c_send "send" (int fd, const void *buf, size_t n, int flags)
    enum:
        C_MSG_NOSIGNAL "MSG_NOSIGNAL"


cdef Py_ssize_t _MAX_RW  # assigned from MAX_RW in fd_unix.py
cdef Py_ssize_t _SCRATCH_SIZE  # assigned from SCRATCH_SIZE
cdef bytearray _SCRATCH  # assigned from SCRATCH


# final: nothing subclasses FD, so its cpdef methods called from C (Conn.read,
# Conn.write) are direct calls, without the check for a Python override.
@cython.final
cdef class FD:
    cdef object __weakref__
    cdef public object _acceptor
    cdef public object csema
    cdef public FdMutex fdmu
    cdef public bint is_stream
    cdef public bint zero_read_is_eof
    cdef public bint rdrained
    cdef public bint raw
    cdef public Netpoll np
    cdef public PollDesc pd
    cdef public Sched rt
    cdef public object sock
    cdef public int sysfd
    cdef public object owner
    @cython.locals(rt=Sched, fdmu=FdMutex, pd=PollDesc, res=int, data=bytes)
    cpdef bytes read(self, Py_ssize_t n)
    @cython.locals(rt=Sched, fdmu=FdMutex, pd=PollDesc, res=int, got=Py_ssize_t, n=Py_ssize_t)
    cpdef Py_ssize_t read_into(self, object buf) except -1
    @cython.locals(rt=Sched, fdmu=FdMutex, pd=PollDesc, res=int, nn=Py_ssize_t, n=Py_ssize_t,
                   total=Py_ssize_t, end=Py_ssize_t, b=bytes)
    cpdef Py_ssize_t write(self, object data) except -1
    cpdef object error(self, str op, object err, object written=*)


# The syscall helpers: one recv(2)/send(2) on the raw descriptor, with EAGAIN
# as a return value instead of an exception (recv_bytes: reads of at most
# len(scratch)). A socket wrapped for fault injection (fd.raw False) asks its
# wrapper first (fd.sock.inject, the seam socktest's FaultSocket provides), so
# injected faults take this compiled path too.

cdef inline object _errno_error():
    cdef int e = errno
    return OSError(e, strerror(e).decode())


cdef inline int _fault(FD fd, str kind, object written) except -1:
    # The fault-injection seam (gonet.testing.socktest): 0 to do the syscall, or
    # the injected error's errno for EAGAIN/EINTR; any other injected error raised.
    cdef object err = fd.sock.inject(kind)
    if err is None:
        return 0
    if err.errno == EAGAIN or err.errno == EINTR:
        return err.errno
    raise fd.error("write" if kind == "send" else "read", err, written)


cdef inline object recv_bytes(FD fd, Py_ssize_t n, bytearray scratch):
    cdef char *buf
    cdef ssize_t got
    cdef int e
    buf = PyByteArray_AS_STRING(scratch)
    while True:
        if not fd.raw:
            e = _fault(fd, "recv", None)
            if e == EINTR:
                continue
            if e == EAGAIN:
                return None
        got = c_recv(fd.sysfd, buf, <size_t>n, 0)
        if got >= 0:
            return PyBytes_FromStringAndSize(buf, got)
        if errno == EINTR:
            continue
        if errno == EAGAIN:
            return None
        raise fd.error("read", _errno_error())


cdef inline Py_ssize_t recv_into_buf(FD fd, object mv) except -2:
    cdef Py_buffer view
    cdef ssize_t got
    cdef int e
    PyObject_GetBuffer(mv, &view, PyBUF_WRITABLE)
    try:
        while True:
            if not fd.raw:
                e = _fault(fd, "recv", None)
                if e == EINTR:
                    continue
                if e == EAGAIN:
                    return -1
            got = c_recv(fd.sysfd, view.buf, <size_t>view.len, 0)
            if got >= 0:
                return got
            if errno == EINTR:
                continue
            if errno == EAGAIN:
                return -1
            raise fd.error("read", _errno_error())
    finally:
        PyBuffer_Release(&view)


cdef inline Py_ssize_t send_buf(FD fd, object data, Py_ssize_t start, Py_ssize_t end) except -2:
    # -1: EAGAIN; an error is raised formatted, with ``written`` = start (what write had written).
    # One call of _send_raw, not one per kind of buffer: a static function called
    # once is inlined by the C compiler, one called twice was not (≈ 30
    # instructions per write in a call, its prologue and epilogue).
    cdef Py_buffer view
    cdef const char *p
    cdef bint acquired = type(data) is not bytes
    if acquired:
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        p = <const char *>view.buf
    else:  # the common case: no buffer to acquire and release
        p = PyBytes_AS_STRING(data)
    try:
        return _send_raw(fd, p, start, end)
    finally:
        if acquired:
            PyBuffer_Release(&view)


cdef inline Py_ssize_t _send_raw(FD fd, const char *p, Py_ssize_t start, Py_ssize_t end) except -2:
    cdef ssize_t n
    cdef int e
    while True:
        if not fd.raw:
            e = _fault(fd, "send", start)
            if e == EINTR:
                continue
            if e == EAGAIN:
                return -1
        n = c_send(fd.sysfd, p + start, <size_t>(end - start), C_MSG_NOSIGNAL)
        if n >= 0:
            return n
        if errno == EINTR:
            continue
        if errno == EAGAIN:
            return -1
        raise fd.error("write", _errno_error(), start)
