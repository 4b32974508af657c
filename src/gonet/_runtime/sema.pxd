# Cython declarations augmenting sema.py (pure-Python mode). See setup.py.
from gonet._runtime.g cimport Goroutine, Sched


cdef class WaitQueue:
    cdef public object waiters
    cpdef object park(self, Sched s, str reason)
    cpdef bint wake_one(self, Sched s, object value=*) except -1
    cpdef int wake_all(self, Sched s, object value=*) except -1


cdef class Sema:
    cdef public long count
    cdef public WaitQueue queue
