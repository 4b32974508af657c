# Cython declarations augmenting selectgo.py (pure-Python mode). See setup.py.
cimport cython
from gonet._runtime.chan cimport _CLOSED, _EMPTY, _Chan, acquire_sudog, enqueue, release_sudog, unlink
from gonet._runtime.sudog cimport Sudog
from gonet._runtime.g cimport Goroutine, Sched, current_sched, fastrandn, getsched, thread_ident

cdef object _NO_CASE
# Assigned by selectgo.py's imports (C globals: no module-dict lookup on the hot path):
# the wait reasons (g.py) and the public channel class.
cdef str WAIT_SELECT, WAIT_SELECT_NO_CASES
cdef object Chan

cdef inline object _case(object c0, object c1, tuple more, Py_ssize_t i)
cdef inline bint _is_recv(object c)
cdef _Chan _case_chan(object c, Py_ssize_t i)
@cython.locals(i=Py_ssize_t, ch=_Chan, owner=Sched, shared=bint)
cdef Sched _sched_of(object c0, object c1, tuple more, Py_ssize_t n)
@cython.locals(i=Py_ssize_t, ch=_Chan, here=Sched)
cdef Sched _adopt_cases(object c0, object c1, tuple more, Py_ssize_t n)
@cython.locals(order=list, i=Py_ssize_t, j=Py_ssize_t)
cdef list _shuffled(Sched s, Py_ssize_t n)

cdef inline bint _runs_here(Sched s)

@cython.locals(n=Py_ssize_t, i=Py_ssize_t, k=Py_ssize_t, swap=Py_ssize_t,
               ch=_Chan, order=list, live=Py_ssize_t, s=Sched)
cdef tuple selectgo(object c0, object c1, tuple more, bint default)
@cython.locals(swap=Py_ssize_t, ch0=_Chan, ch1=_Chan, first=_Chan, second=_Chan, s=Sched)
cdef tuple _select_recv2(object c0, object c1, bint default)
cdef tuple _recv_result(Py_ssize_t index, object v)
@cython.locals(g=Goroutine, sg0=Sudog, sg1=Sudog, fired=Sudog, index=Py_ssize_t)
cdef tuple _park_recv2(Sched s, _Chan first, _Chan second, Py_ssize_t swap)
cdef int _unlink_pair(Goroutine g, _Chan first, Sudog sg0, _Chan second, Sudog sg1,
                      Sudog fired) except -1
@cython.locals(i=Py_ssize_t, k=Py_ssize_t, ch=_Chan, is_send=bint, ok=bint, index=Py_ssize_t,
               g=Goroutine, sg=Sudog, chain=Sudog, fired=Sudog)
cdef tuple _park_select(Sched s, object c0, object c1, tuple more, Py_ssize_t n, list order,
                        Py_ssize_t swap)

@cython.locals(sgl=Sudog, nxt=Sudog, ch=_Chan)
cdef int _unlink_all(Goroutine g, Sudog chain, Sudog fired) except -1
