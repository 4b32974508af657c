# Cython declarations augmenting wsgi.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values.


cdef class _Start:
    cdef public object code
    cdef public object declared
    cdef public object headers
    cdef public object reason
    cdef public object w
