# Cython declarations augmenting sudog.py (pure-Python mode). See setup.py.
from gonet._runtime.g cimport Goroutine

cdef class Sudog:
    cdef public Goroutine g
    cdef public long long seq
    cdef public object c  # a _Chan (chan.pxd cimports this file, so not typed here)
    cdef public object elem
    cdef public Py_ssize_t index
    cdef public bint is_send
    cdef public bint success
    cdef public Sudog prev
    cdef public Sudog next
    cdef public Sudog waitlink


cdef class WaitQ:
    cdef public Sudog first
    cdef public Sudog last
