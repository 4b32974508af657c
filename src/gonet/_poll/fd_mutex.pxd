# Cython declarations augmenting fd_mutex.py (pure-Python mode). See setup.py.
cimport cython
from gonet._runtime.g cimport Sched
from gonet._runtime.sema cimport WaitQueue


cdef enum:
    _MAX_REFS = 1048575  # MAX_REFS in fd_mutex.py


cdef class FdMutex:
    cdef public long refs
    cdef public bint closed
    cdef public bint rlocked
    cdef public bint wlocked
    cdef public WaitQueue rwait
    cdef public WaitQueue wwait
    cpdef bint incref(self) except -1
    cpdef bint incref_and_close(self, Sched s) except -1
    cpdef bint decref(self) except -1
    cpdef bint rwlock(self, Sched s, bint read) except -1
    @cython.locals(rwait=WaitQueue, wwait=WaitQueue)
    cpdef bint rwunlock(self, Sched s, bint read) except -1
