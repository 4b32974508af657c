# Cython declarations augmenting response.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values, except _req (always
# the Request the server built; typed so its fields are read as C fields).
# The internal methods are cpdef: the class's own calls to them are C calls.

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.string cimport memcpy
from gonet.http.request cimport Headers, Request, trusted_headers
from gonet.http._h1.serialize cimport DateCache, response_head


cdef inline bytes _join2(bytes a, bytes b):
    # response.py's _join2: a + b in one allocation (bytes' own concat goes through the
    # buffer protocol for both operands).
    cdef Py_ssize_t na = len(a)
    cdef Py_ssize_t nb = len(b)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, na + nb)
    cdef char* p = PyBytes_AS_STRING(out)
    memcpy(p, <const char*>a, na)
    memcpy(p + na, <const char*>b, nb)
    return out


# The caches (module globals, read per request as C dicts).
cdef dict _CL_TAILS, _DECLARED


cdef class HeadCache:
    cdef public object date
    cdef public object dates
    cdef public object end
    cdef public object head
    cdef public object items
    cdef public object minor
    cdef public object prefix
    cdef public object reason
    cdef public object server
    cdef public object status


cdef class ResponseWriter:
    cdef public object _chunked
    cdef public object _declared
    cdef public object _head
    cdef public object _head_sent
    cdef public object _no_body
    cdef public list _pending
    cdef public object _pending_len
    cdef public Request _req
    cdef public object _sc
    cdef public object _sent_items
    cdef public object headers
    cdef public object reason
    cdef public object status
    cdef public object written

    @cython.locals(name=str, value=str, c=Py_UCS4, h=Headers)
    cpdef _start(self, status, items)
    @cython.locals(h=Headers)
    cpdef _start_checked(self, status, reason, items, declared)
    cpdef _reset(self, sc, Request req)
    cpdef write(self, data)
    cpdef _take_body(self)
    @cython.locals(req=Request, hc=HeadCache, sc=ServerConn, dates=DateCache)
    cpdef _send_head(self, final)
    cpdef _finish(self)


@cython.locals(n=Py_ssize_t, i=Py_ssize_t, a=object, b=object)
cdef bint _same_pairs(object last, list items) except -1


@cython.locals(h=Headers)
cpdef _rewrite(ResponseWriter w, Request req)


# After the declarations conn.pxd cimports from here (the two cimport each other).
from gonet.http.conn cimport ServerConn
