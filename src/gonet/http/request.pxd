# Cython declarations augmenting request.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values.


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
