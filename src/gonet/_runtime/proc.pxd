# Cython declarations augmenting proc.py (pure-Python mode). See setup.py.
cimport cython
from gonet._runtime.g cimport (Goroutine, RunQueue, Sched, enter, execute, current_glet, greenlet_import,
                               set_parent, thread_ident)
from gonet._runtime.netpoll cimport Netpoll
from gonet._runtime.allg cimport AllGs

# Goroutines, their greenlets and go()'s argument tuples are kept out of the cyclic GC
# while the runtime holds them: see gctrack.py.
from gonet._runtime.gctrack cimport retrack, untrack

# Goroutine states: values assigned from gstatus.py at import.
cdef int DEAD, RUNNABLE


cdef class Runtime(Sched):
    cdef public Netpoll netpoll
    cdef public object pool
    cdef public str name
    cdef public object calls
    cdef public object posted
    cdef public long external_wakers
    cdef public object handle
    cdef public bint abandoned
    cdef public AllGs allgs
    cdef public long long next_id
    cdef public double lastpoll
    cdef public long long rounds
    cdef public Goroutine main
    cdef public bint main_done
    cdef public bint stopping
    cdef public object fatal_exc
    cdef public object random
    cdef public object sysmon
    @cython.locals(runq=RunQueue, netpoll=Netpoll, now=double)
    cpdef schedule(self)
    @cython.locals(g=Goroutine)
    cpdef Goroutine new_goroutine(self, object fn, object args, object kwargs)
    @cython.locals(g=Goroutine, args=tuple, n=Py_ssize_t)
    cpdef tuple gostart(self)
    @cython.locals(joiners=list, jg=Goroutine, seq="long long", nxt=Goroutine)
    cpdef goexit0(self, Goroutine g, object result)
