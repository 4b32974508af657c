# Cython declarations augmenting chan.py (pure-Python mode). See setup.py.
cimport cython
from gonet._runtime.g cimport Goroutine, Sched, current_sched, getsched


cdef class Sudog:
    cdef public object elem
    cdef public Goroutine g
    cdef public Py_ssize_t index
    cdef public bint is_send
    cdef public long long seq
    cdef public bint success


@cython.locals(sg=Sudog, g=Goroutine)
cdef Sudog dequeue(object q, Sched s)
cdef int ready(Sched s, Sudog sg) except -1
cdef int park_on(Sched s, object q, Sudog sg, str reason) except -1


cdef class _Chan:
    cdef object __weakref__
    cdef public object _buf
    cdef public bint _closed
    cdef public Sched _rt
    cdef public Py_ssize_t capacity
    cdef public object recvq
    cdef public object sendq
    @cython.locals(sg=Sudog)
    cdef bint _send_now(self, Sched s, object value) except -1
    @cython.locals(sg=Sudog)
    cdef object _take(self, Sched s)
    @cython.locals(g=Goroutine, sg=Sudog)
    cdef object _park_recv(self, Sched s)
    cpdef bint try_send(self, object value) except -1
    cpdef tuple try_recv(self)
    @cython.locals(s=Sched, g=Goroutine, sg=Sudog)
    cpdef send(self, object value)
    cpdef recv(self)
    cpdef tuple recv_ok(self)
    @cython.locals(s=Sched, sg=Sudog)
    cpdef close(self)
