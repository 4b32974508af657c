# Cython declarations augmenting wsgi.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values. WSGIHandler's
# per-request methods read the writer and the request as the C types they always are.

cimport cython
from gonet.http.request cimport Request
from gonet.http.response cimport ResponseWriter


cdef class _Start:
    cdef public object code
    cdef public object declared
    cdef public object headers
    cdef public object reason
    cdef public object w


cdef class WSGIHandler:
    cdef public object app
    cdef public object errors
    cdef public object multiprocess
    cdef public object script_name
    cdef public object url_scheme

    @cython.locals(w=ResponseWriter, r=Request, env=dict, keys=dict)
    cpdef environ(self, w, r)
    @cython.locals(w=ResponseWriter, st=_Start)
    cpdef _serve(self, w, r)
