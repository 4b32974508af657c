# Cython declarations augmenting conn.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values.

cimport cython
from cpython.ref cimport Py_REFCNT
from gonet.http._h1.parse cimport RequestHead, parse_into
from gonet.http.request cimport Body, Request, _park_request, _refill_request
from gonet.http.response cimport ResponseWriter, _rewrite


cdef inline Py_ssize_t _refs(object o) noexcept:
    # conn.py's _refs: references to o (the caller's variable included; o is borrowed here).
    return Py_REFCNT(o)


cdef class ServerConn:
    cdef public object access_log
    cdef public object broken
    cdef public object buf
    cdef public object close_after
    cdef public object conn
    cdef public object head_cache
    cdef public object max_body
    cdef public object now
    cdef public double rdl
    cdef public object remote
    cdef public long long requests
    cdef public object server_line
    cdef public bint shutting_down
    cdef public object srv
    cdef public object started
    cdef public object state
    cdef public object tls
    cdef public double wdl
    cdef public object write_conn
    cdef public object writer
    cdef public object wsgi_base
    cdef public double wt

    # The request loop reads the head, the request and the writer as the C types they are.
    @cython.locals(head=RequestHead, req=Request, w=ResponseWriter, body=Body,
                   spare_req=Request, spare_w=ResponseWriter, used=Py_ssize_t, index=dict,
                   rht=double, idle=double, now=double, rdl=double)
    cpdef serve(self)
    @cython.locals(wt=double, now=double)
    cpdef write(self, data)
