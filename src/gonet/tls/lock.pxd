# Cython declarations augmenting lock.py (pure-Python mode). See setup.py.
# state and tid are C fields: conn.py's inline fast path reads them without a Python call.

cdef extern from "pythread.h":
    unsigned long PyThread_get_thread_ident() nogil


cdef inline unsigned long thread_ident() noexcept:
    # threading.get_ident() is this call (Modules/_threadmodule.c); lock.py's twin is that.
    return PyThread_get_thread_ident()


cdef class ConnLock:
    cdef public object _mu
    cdef public object _what
    cdef public int state
    cdef public unsigned long tid
    cpdef bint locked(self)
    cpdef lock(self)
    cpdef bint try_lock(self)
    cpdef unlock(self)
    cpdef lock_slow(self)
    cpdef unlock_slow(self)
