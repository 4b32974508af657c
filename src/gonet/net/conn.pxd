# Cython declarations augmenting conn.py (pure-Python mode). See setup.py.
from gonet._poll.fd_unix cimport FD


cdef object _MAX_RW  # assigned from MAX_RW in conn.py


cdef class Conn:
    cdef object __weakref__
    cdef public object _fd
    cdef public FD _pfd
