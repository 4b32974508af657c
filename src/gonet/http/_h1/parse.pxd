# Cython declarations augmenting parse.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values.


cdef class RequestHead:
    cdef public object chunked
    cdef public object content_length
    cdef public object expect_continue
    cdef public object headers
    cdef public object host
    cdef public object index
    cdef public object keep_alive
    cdef public object method
    cdef public object minor
    cdef public object target
