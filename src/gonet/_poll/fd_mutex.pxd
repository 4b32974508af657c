# Cython declarations augmenting fd_mutex.py (pure-Python mode). See setup.py.
cimport cython
from gonet._runtime.g cimport Sched
from gonet._runtime.sema cimport WaitQueue


cdef long _MAX_REFS  # assigned from MAX_REFS in fd_mutex.py


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


# The uncontended paths of rwlock/rwunlock, inlined into poll.FD's loops and
# the methods; their plain twins are at the end of fd_mutex.py (the same
# statements: tests/test_pxd_twins.py). They read C fields only: no Python
# call, so no error path, and the C compiler inlines them at every call site
# (asking whether a wait queue's deque is empty made rwunlock_fast an
# out-of-line call: ~12 instructions per unlock, twice per echo round trip).

cdef inline bint rwlock_fast(FdMutex mu, bint read):
    if mu.closed or mu.refs >= _MAX_REFS:
        return False
    if read:
        if mu.rlocked:
            return False
        mu.rlocked = True
    else:
        if mu.wlocked:
            return False
        mu.wlocked = True
    mu.refs += 1
    return True


cdef inline bint rwunlock_fast(FdMutex mu, bint read):
    if mu.closed or mu.refs <= 0:
        return False
    if read:
        if not mu.rlocked or mu.rwait is not None:
            return False
        mu.rlocked = False
    else:
        if not mu.wlocked or mu.wwait is not None:
            return False
        mu.wlocked = False
    mu.refs -= 1
    return True
