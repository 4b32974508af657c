# Cython declarations augmenting record.py (pure-Python mode). See setup.py.

cimport cython


cdef class RecordTracker:
    cdef public object _hdr
    cdef public Py_ssize_t _need
    cdef public Py_ssize_t partial
    cpdef bint at_boundary(self)
    @cython.locals(pos=Py_ssize_t, need=Py_ssize_t, partial=Py_ssize_t, take=Py_ssize_t)
    cpdef feed(self, buf, Py_ssize_t n)
