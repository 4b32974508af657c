# Cython declarations augmenting request.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values.

cimport cython
from cpython.unicode cimport PyUnicode_1BYTE_KIND, PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND
from gonet.http._h1.parse cimport RequestHead, _tchar


cdef class Headers:
    cdef public object _index
    cdef public object _items
    cpdef _lookup(self)
    cpdef add(self, name, value)
    @cython.locals(kept=list, size=Py_ssize_t)
    cpdef set(self, name, value)


cpdef Headers trusted_headers(items, index)


cdef class Body:
    cdef public object _decoder
    cdef public object _eof
    cdef public object _pending
    cdef public object _remaining
    cdef public object _sc
    cdef public object _total
    cdef public object continue_pending

cdef class Request:
    cdef public object body
    cdef public object close
    cdef public object content_length
    cdef public object headers
    cdef public object host
    cdef public object method
    cdef public object path
    cdef public object proto_minor
    cdef public object query
    cdef public object raw_path
    cdef public object remote_addr
    cdef public object scheme
    cdef public object target
    cdef public object tls


cdef inline bint _header_ok(object name, object value):
    # The compiled build's fast check (request.py, Headers.add/set): True only where
    # _h1.check_header accepts (a name that is a non-empty token str, a str value of latin-1
    # characters without NUL, CR, LF); False lets check_header give the verdict. Latin-1
    # strs (the usual kind) are scanned as the bytes they are stored as.
    cdef Py_UCS4 c
    cdef const unsigned char* d
    cdef Py_ssize_t i, n
    if type(name) is not str or type(value) is not str or not name:
        return False
    if PyUnicode_KIND(name) == PyUnicode_1BYTE_KIND:
        d = <const unsigned char*>PyUnicode_DATA(name)
        n = PyUnicode_GET_LENGTH(name)
        for i in range(n):
            if not _tchar(d[i]):
                return False
    else:
        for c in <str>name:
            if c >= 128 or not _tchar(<unsigned char>c):
                return False
    if PyUnicode_KIND(value) == PyUnicode_1BYTE_KIND:
        d = <const unsigned char*>PyUnicode_DATA(value)
        n = PyUnicode_GET_LENGTH(value)
        for i in range(n):
            if d[i] == 0 or d[i] == 10 or d[i] == 13:
                return False
        return True
    for c in <str>value:
        if c > 255 or c == 0 or c == 10 or c == 13:
            return False
    return True


@cython.locals(target=str, raw_path=str, query=str, h=Headers)
cpdef _fill_request(Request req, RequestHead head, bint reuse)


cpdef _refill_request(Request req, RequestHead head, body, remote_addr, scheme, tls)
@cython.locals(h=Headers)
cpdef _park_request(Request req)
