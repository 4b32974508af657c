# Cython declarations augmenting polling.py (pure-Python mode). See setup.py.


cdef class _Poll:
    cdef public object _fds
    cdef public object _inner
