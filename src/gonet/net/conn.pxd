# Cython declarations augmenting conn.py (pure-Python mode). See setup.py.
from gonet._poll.fd_unix cimport FD


cdef class Conn:
    cdef object __weakref__
    cdef public object _fd
    cdef public FD _pfd
