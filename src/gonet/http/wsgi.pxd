# Cython declarations augmenting wsgi.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values. WSGIHandler's
# per-request methods read the writer, the request and the connection as the C types they
# always are (_check_pair makes sure of it first).

cimport cython
from gonet.http.conn cimport ServerConn, _refs
from gonet.http.request cimport Headers, Request
from gonet.http.response cimport ResponseWriter
from gonet.http.wsgienv cimport Environ


# The caches (module globals, read by the per-request code as C dicts).
cdef dict _CHECKED, _STATUSES


cdef class _Start:
    cdef public object code
    cdef public object declared
    cdef public Environ env
    cdef public object handler
    cdef public object headers
    cdef public object items
    cdef public object items_declared
    cdef public object reason
    cdef public object status
    cdef public object w

    cpdef begin(self)
    cpdef fit(self, data)


@cython.locals(n=Py_ssize_t, i=Py_ssize_t)
cdef bint _same_items(list headers, list last)
@cython.locals(checked=dict)
cdef _check_headers(list headers)


@cython.locals(rw=ResponseWriter)
cdef _check_pair(w, r)


cdef class WSGIHandler:
    cdef public object app
    cdef public object errors
    cdef public object multiprocess
    cdef public object script_name
    cdef public object url_scheme

    @cython.locals(w=ResponseWriter, r=Request, sc=ServerConn, st=_Start)
    cpdef environ(self, w, r)
    @cython.locals(w=ResponseWriter, sc=ServerConn, st=_Start, n=Py_ssize_t)
    cpdef _serve(self, w, r)
    @cython.locals(w=ResponseWriter, st=_Start)
    cpdef _send_iterable(self, st, w, result)
