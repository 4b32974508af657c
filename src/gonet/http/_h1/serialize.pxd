# Cython declarations augmenting serialize.py (pure-Python mode). See setup.py.
# Attributes are C struct fields; they stay untyped objects so that both builds accept
# exactly the same values. The functions are cpdef so that response.py calls them in C.

cimport cython


cdef class DateCache:
    cdef public object line
    cdef public object second

    cpdef get(self)


@cython.locals(line=str)
cpdef status_line(minor, code)
@cython.locals(parts=list, name=str, value=str)
cpdef response_head(minor, code, headers, extra, reason=*)
