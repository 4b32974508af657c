# Cython declarations augmenting response.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values.


cdef class ResponseWriter:
    cdef public object _chunked
    cdef public object _declared
    cdef public object _head
    cdef public object _head_sent
    cdef public object _no_body
    cdef public object _pending
    cdef public object _pending_len
    cdef public object _req
    cdef public object _sc
    cdef public object _sent_items
    cdef public object headers
    cdef public object reason
    cdef public object status
    cdef public object written
