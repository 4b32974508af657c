# Cython declarations augmenting allg.py (pure-Python mode). See setup.py.
cimport cython
from gonet._runtime.g cimport Goroutine


cdef class AllGs:
    cdef public Goroutine first
    cdef public Goroutine last
    cdef public Py_ssize_t n
    @cython.locals(g=Goroutine)
    cpdef list values(self)
    @cython.locals(last=Goroutine)
    cpdef add(self, Goroutine g)
    @cython.locals(prev=Goroutine, nxt=Goroutine)
    cpdef remove(self, Goroutine g)
    @cython.locals(g=Goroutine, nxt=Goroutine)
    cpdef clear(self)
