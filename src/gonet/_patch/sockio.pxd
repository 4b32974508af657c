# Cython declarations augmenting sockio.py (pure-Python mode). See setup.py.
cimport cython

from gonet._poll.rawconn cimport RawConn
from gonet._runtime.g cimport Goroutine, current_glet, greenlet_import


# Only read_stream and send_all call it: a C function in the compiled build.
@cython.locals(g=Goroutine)
cdef tuple _fast_conn(object sock)

@cython.locals(g=Goroutine, rc=RawConn)
cpdef object read_stream(object sock, object orig, tuple args, object flags, object want)

@cython.locals(g=Goroutine, rc=RawConn)
cpdef object send_all(object sock, object data, object flags)
