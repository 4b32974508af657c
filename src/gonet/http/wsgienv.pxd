# Cython declarations augmenting wsgienv.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values, except the dicts only
# this class sets (read as C dicts). The request and the connection are the C types they
# always are (wsgi.py's _check_pair makes sure of it first).

cimport cython
from gonet.http.conn cimport ServerConn
from gonet.http.request cimport Headers, Request


# The caches (module globals, read by the per-request code as C dicts).
cdef dict _ENV_KEYS, _SERVER_NAMES


cdef class Environ:
    cdef public dict base
    cdef public object body
    cdef public object host
    cdef public dict index
    cdef public object method
    cdef public object minor
    cdef public object path
    cdef public object query
    cdef public object scheme
    cdef public object script
    cdef public object server_name
    cdef public object target
    cdef public dict tmpl

    @cython.locals(index=dict, tmpl=dict, env=dict, h=Headers)
    cpdef dict build(self, ServerConn sc, Request r)
    cpdef _path_info(self, path)
    @cython.locals(base=dict, env=dict, keys=dict)
    cpdef dict _fresh(self, ServerConn sc, Request r, dict index)
