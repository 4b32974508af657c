# Cython declarations augmenting chan.py (pure-Python mode). See setup.py.
cimport cython
from gonet._runtime.g cimport Goroutine, Sched


cdef class Sudog:
    cdef public object elem
    cdef public Goroutine g
    cdef public Py_ssize_t index
    cdef public bint is_send
    cdef public long long seq
    cdef public bint success


@cython.locals(sg=Sudog, g=Goroutine)
cpdef Sudog dequeue(object q)
cpdef ready(Sudog sg)
cpdef park_on(Sched s, object q, Sudog sg, str reason)


cdef class _Chan:
    cdef object __weakref__
    cdef public object _buf
    cdef public bint _closed
    cdef public Sched _rt
    cdef public Py_ssize_t capacity
    cdef public object recvq
    cdef public object sendq
    @cython.locals(sg=Sudog)
    cpdef bint try_send(self, object value) except -1
    @cython.locals(sg=Sudog)
    cpdef tuple try_recv(self)
    @cython.locals(s=Sched, g=Goroutine, sg=Sudog)
    cpdef send(self, object value)
    @cython.locals(s=Sched, g=Goroutine, sg=Sudog, ok=bint, done=bint)
    cpdef recv(self)
    @cython.locals(s=Sched, sg=Sudog)
    cpdef close(self)
