# Cython declarations augmenting info.py (pure-Python mode). See setup.py.
# ConnInfo is compiled because TLSConn (conn.pxd), an extension type, derives from it.

cdef class ConnInfo:
    cdef public object _conn
    cdef public bint _hs_done
    cdef public object _obj
    cdef public object _rd
    cdef public object _wd
