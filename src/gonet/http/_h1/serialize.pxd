# Cython declarations augmenting serialize.py (pure-Python mode). See setup.py.
# Attributes are C struct fields; they stay untyped objects so that both builds accept
# exactly the same values. The functions are cpdef so that response.py calls them in C.

cimport cython
from libc.time cimport time as c_time


cdef inline bint _same_second(long long second) noexcept:
    # serialize.py's _same_second: the C clock is still in `second` (time.time()'s whole second).
    return c_time(NULL) == second


cdef class DateCache:
    cdef public object line
    cdef public long long second

    cpdef get(self)


@cython.locals(line=str)
cpdef status_line(minor, code)
@cython.locals(parts=list, name=str, value=str)
cpdef response_head(minor, code, headers, extra, reason=*)
