# Cython declarations augmenting chan.py (pure-Python mode). See setup.py.
cimport cython
from gonet._runtime.g cimport Goroutine, Sched, current_sched, getsched, thread_ident
from gonet._runtime.sudog cimport Sudog, WaitQ

# Goroutine states: values assigned from gstatus.py at import.
cdef int WAITING
# C globals (no module-dict lookup on the hot path): the wait reasons, assigned from
# g.py at import, and _take's two sentinels, which selectgo cimports.
cdef str WAIT_CHAN_RECV, WAIT_CHAN_SEND
cdef object _EMPTY, _CLOSED


# acquire_sudog untracks each new Sudog from the cyclic GC: see its docstring.
from gonet._runtime.gctrack cimport untrack


@cython.locals(sg=Sudog)
cdef Sudog acquire_sudog(Goroutine g, _Chan c, object elem, Py_ssize_t index, bint is_send)
cdef int release_sudog(Goroutine g, Sudog sg) except -1
@cython.locals(last=Sudog)
cdef int enqueue(WaitQ q, Sudog sg) except -1
@cython.locals(x=Sudog, y=Sudog)
cdef int unlink(WaitQ q, Sudog sg) except -1
@cython.locals(sg=Sudog, y=Sudog, g=Goroutine, live=bint)
cdef Sudog dequeue(WaitQ q, Sched s)
cdef int ready(Sched s, Sudog sg) except -1
cdef int park_on(Sched s, WaitQ q, Sudog sg, str reason) except -1


cdef class _Chan:
    cdef object __weakref__
    cdef public list _ring
    cdef public Py_ssize_t _recvx
    cdef public Py_ssize_t _qcount
    cdef public bint _closed
    cdef public Sched _rt
    cdef public Py_ssize_t capacity
    cdef public WaitQ recvq
    cdef public WaitQ sendq
    @cython.locals(s=Sched)
    cdef Sched _owner(self, str op)
    @cython.locals(ring=list, size=Py_ssize_t, n=Py_ssize_t, head=Py_ssize_t, grown=Py_ssize_t,
                   i=Py_ssize_t)
    cdef int _buffer(self, object value) except -1
    @cython.locals(ring=list, head=Py_ssize_t)
    cdef object _unbuffer(self)
    @cython.locals(sg=Sudog)
    cdef bint _send_now(self, Sched s, object value) except -1
    @cython.locals(sg=Sudog)
    cdef object _take(self, Sched s)
    @cython.locals(s=Sched, g=Goroutine, sg=Sudog)
    cdef object _recv(self)
    cpdef bint try_send(self, object value) except -1
    cpdef tuple try_recv(self)
    @cython.locals(s=Sched, g=Goroutine, sg=Sudog, ok=bint)
    cpdef send(self, object value)
    cpdef recv(self)
    cpdef tuple recv_ok(self)
    @cython.locals(s=Sched, sg=Sudog, q=WaitQ)
    cpdef close(self)


cdef class ChanIter:
    cdef public _Chan ch
