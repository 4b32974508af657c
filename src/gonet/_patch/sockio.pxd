# Cython declarations augmenting sockio.py (pure-Python mode). See setup.py.


# Only read_stream and send_all call it: a C function in the compiled build.
cdef tuple _fast_conn(object sock)
