# Cython declarations augmenting conn.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values.

from cpython.ref cimport Py_REFCNT
from gonet.http.request cimport _park_request, _refill_request
from gonet.http.response cimport _rewrite


cdef inline Py_ssize_t _refs(object o) noexcept:
    # conn.py's _refs: references to o (the caller's variable included; o is borrowed here).
    return Py_REFCNT(o)


cdef class ServerConn:
    cdef public object broken
    cdef public object buf
    cdef public object close_after
    cdef public object conn
    cdef public object head_cache
    cdef public object rdl
    cdef public object remote
    cdef public object srv
    cdef public object started
    cdef public object state
    cdef public object tls
    cdef public object wdl
    cdef public object writer
    cdef public object wsgi_base
