# Cython declarations augmenting readbuf.py (pure-Python mode). See setup.py.

cdef class ReadBuffer:
    cdef public bytearray buf
    cdef public object cut
    cdef public Py_ssize_t cut_len
    cdef public object mv
