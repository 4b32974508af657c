# Cython declarations augmenting g.py (pure-Python mode). See setup.py.
from cpython.ref cimport PyObject, Py_DECREF
from cpython.pythread cimport PyThread_get_thread_ident


cdef extern from "greenlet.h":
    ctypedef struct PyGreenlet:
        pass
    object PyGreenlet_Switch(PyGreenlet* g, PyObject* args, PyObject* kwargs)
    PyGreenlet* PyGreenlet_GetCurrent()
    void PyGreenlet_Import()


cdef inline object switch_to(object glet):
    # greenlet.switch() without a bound-method object or an argument tuple.
    return PyGreenlet_Switch(<PyGreenlet*>glet, <PyObject*>(), NULL)


cdef inline object current_glet():
    cdef object cur = <object><PyObject*>PyGreenlet_GetCurrent()
    Py_DECREF(cur)  # GetCurrent returned a new reference; cur holds its own
    return cur


cdef inline long thread_ident():
    return <long>PyThread_get_thread_ident()


cdef inline void greenlet_import():
    PyGreenlet_Import()


cimport cython


cdef class RunQueue:
    cdef public list buf
    cdef public Py_ssize_t head
    cdef public Py_ssize_t n
    @cython.locals(size=Py_ssize_t)
    cpdef append(self, Goroutine g)
    @cython.locals(head=Py_ssize_t, g=Goroutine)
    cpdef Goroutine popleft(self)
    @cython.locals(head=Py_ssize_t, g=Goroutine)
    cpdef Goroutine pop_started(self)
    cpdef clear(self)


cdef class Goroutine:
    cdef public object sched
    cdef public long long id
    cdef public object fn
    cdef public object args
    cdef public object kwargs
    cdef public object glet
    cdef public bint started
    cdef public int status
    cdef public long long parkseq
    cdef public object wakeval
    cdef public str waitreason
    cdef public double waitsince
    cdef public object _result
    cdef public object _exc
    cdef public object _joiners


cdef class Sched:
    cdef public RunQueue runq
    cdef public object hub
    cdef public Goroutine curg
    cdef public long thread_id
    cdef public object timers
    cdef public object clock
    cdef public double now
    cdef public long long schedtick
    cdef public long io_waiters
    cdef public long handoffs
    cpdef Goroutine checkg(self)
    @cython.locals(g=Goroutine, nxt=Goroutine, runq=RunQueue)
    cpdef object gopark(self, str reason)
    cpdef bint goready(self, Goroutine g, long long seq, object value=*) except -1


cpdef Sched current_sched()
cpdef Sched getsched()
