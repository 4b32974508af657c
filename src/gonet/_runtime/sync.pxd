# Cython declarations augmenting sync.py (pure-Python mode). See setup.py.
from gonet._runtime.g cimport Sched, current_sched, getsched
from gonet._runtime.sema cimport WaitQueue


cdef class Mutex:
    cdef public bint _locked
    cdef public Sched _rt
    cdef public WaitQueue _waiters
    cpdef lock(self)
    cpdef bint try_lock(self) except -1
    cpdef unlock(self)


cdef class WaitGroup:
    cdef public object _count
    cdef public Sched _rt
    cdef public WaitQueue _waiters
    cpdef add(self, object n=*)
    cpdef done(self)
    cpdef wait(self)
