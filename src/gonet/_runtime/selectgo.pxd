# Cython declarations augmenting selectgo.py (pure-Python mode). See setup.py.
cimport cython
from gonet._runtime.chan cimport Sudog, _Chan
from gonet._runtime.g cimport Goroutine, Sched, current_sched, getsched

@cython.locals(k=int)
cpdef object _randbelow(object getrandbits, object n)

@cython.locals(n=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t, ch=_Chan, is_send=bint,
               chans=list, sends=list, values=list, order=list, sudogs=list,
               g=Goroutine, sg=Sudog, fired=Sudog, seq="long long", live=Py_ssize_t, here=Sched)
cpdef tuple selectgo(tuple cases, bint default)
