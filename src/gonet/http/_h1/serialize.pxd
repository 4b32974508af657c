# Cython declarations augmenting serialize.py (pure-Python mode). See setup.py.
# Attributes are C struct fields; they stay untyped objects so that both builds accept
# exactly the same values.


cdef class DateCache:
    cdef public object line
    cdef public object second
