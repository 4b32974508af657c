# Cython declarations augmenting rawconn.py (pure-Python mode). See setup.py.
cimport cython

from gonet._runtime.netpoll cimport Netpoll, PollDesc
from gonet._runtime.sema cimport Sema


cdef class RawConn:
    cdef object __weakref__
    cdef public object fd
    cdef public object owner
    cdef public object pd
    cdef public object rdrained
    cdef public object rsema
    cdef public object rt
    cdef public object shadow
    cdef public object wsema
    @cython.locals(pd=PollDesc, np=Netpoll, sema=Sema)
    cpdef int wait(self, bint write, object deadline) except -1
