# Cython declarations augmenting netpoll.py (pure-Python mode). See setup.py.
from libc.stdint cimport uint32_t, uint64_t
from libc.errno cimport errno, EINTR
from libc.math cimport ceil
from cpython.bytearray cimport PyByteArray_AS_STRING
from cpython.exc cimport PyErr_CheckSignals, PyErr_SetFromErrno

cimport cython
from gonet._runtime.g cimport Goroutine, RunQueue, Sched, greenlet_import


cdef extern from "sys/epoll.h" nogil:
    ctypedef union epoll_data_t:
        void *ptr
        int fd
        uint32_t u32
        uint64_t u64
    cdef struct epoll_event:
        uint32_t events
        epoll_data_t data
    int epoll_wait(int epfd, epoll_event *events, int maxevents, int timeout)

ctypedef epoll_event* epoll_events


cdef class PollDesc:
    cdef public object netpoll
    cdef public int fd
    cdef public long long seq
    cdef public object user
    cdef public object rg
    cdef public object wg
    cdef public long long rtoken
    cdef public long long wtoken
    cdef public double rd
    cdef public double wd
    cdef public object rt
    cdef public object wt
    cdef public bint closing
    cdef public bint hup


# Assigned in netpoll.py from the public names (READY, WAIT_IO, POLL_*): the
# inline functions below read them from every module that inlines them.
cdef object _READY
cdef str _WAIT_IO
cdef int _WAITING
cdef int _RUNNABLE
cdef int _POLL_NO_ERROR
cdef int _POLL_ERR_CLOSING
cdef int _POLL_ERR_TIMEOUT
cdef uint32_t _READ_EVENTS
cdef uint32_t _WRITE_EVENTS
cdef uint32_t _HUP_EVENTS
cdef double _MAX_WAIT


cdef class Netpoll:
    cdef public Sched rt
    cdef public object backend
    cdef public Py_ssize_t count
    cdef public list fdtab
    cdef public long long _seq
    cdef public long long calls
    cdef public int epfd
    cdef public int wakefd
    cdef public int sigfd
    cdef public bytearray evbuf
    cpdef int wait(self, PollDesc pd, bint write) except -1
    cpdef double_wait(self)
    cpdef int wait_until(self, PollDesc pd, bint write, double deadline) except -1
    @cython.locals(ms=int, n=int, i=int, fd=int, ev=uint32_t, count=int, ntab=Py_ssize_t,
                   fdtab=list, runq=RunQueue, pd=object, wakefd=int, sigfd=int,
                   evs=epoll_events)
    cpdef int poll(self, double timeout) except -1




# The C side of Netpoll.poll (it cannot be Python): epoll_wait(2) into the
# preallocated evbuf with the GIL released, and the fields of one event.

cdef inline epoll_events event_array(bytearray buf):
    return <epoll_events>PyByteArray_AS_STRING(buf)


cdef inline int epoll_wait_into(int epfd, bytearray buf, int ms) except -1:
    cdef epoll_event* evs = <epoll_event*>PyByteArray_AS_STRING(buf)
    cdef int maxevents = <int>(len(buf) // sizeof(epoll_event))
    cdef int n
    with nogil:
        n = epoll_wait(epfd, evs, maxevents, ms)
    if n < 0:
        if errno == EINTR:
            PyErr_CheckSignals()  # run signal handlers (SIGQUIT dump, Ctrl-C)
            return 0
        PyErr_SetFromErrno(OSError)
        return -1
    return n


# epoll_ms, netpollready, prepare and wait_io: inlined into Netpoll.poll and
# poll.FD's loops (their plain-Python twins are in netpoll_twins.py;
# tests/test_pxd_twins.py checks that both are the same statements).

cdef inline int epoll_ms(double timeout):
    if timeout < 0.0:
        return -1
    if timeout > _MAX_WAIT:
        timeout = _MAX_WAIT
    return <int>ceil(timeout * 1000.0)


cdef inline int netpollready(object o, uint32_t ev, RunQueue runq) except -1:
    cdef PollDesc pd = <PollDesc>o
    cdef Goroutine g
    if ev & _HUP_EVENTS:
        pd.hup = True
    if ev & _READ_EVENTS:
        o = pd.rg
        if o is not _READY:
            pd.rg = _READY
            if o is not None:
                g = <Goroutine>o
                if g.parkseq == pd.rtoken and g.status == _WAITING:  # on this very wait
                    g.parkseq += 1
                    g.status = _RUNNABLE
                    runq.append(g)
    if ev & _WRITE_EVENTS:
        o = pd.wg
        if o is not _READY:
            pd.wg = _READY
            if o is not None:
                g = <Goroutine>o
                if g.parkseq == pd.wtoken and g.status == _WAITING:
                    g.parkseq += 1
                    g.status = _RUNNABLE
                    runq.append(g)


cdef inline int prepare(Netpoll np, PollDesc pd, bint write, bint park_first) except -1:
    if pd.closing:
        return _POLL_ERR_CLOSING
    if write:
        if pd.wd < 0.0:
            return _POLL_ERR_TIMEOUT
        if pd.wg is _READY:
            pd.wg = None
        return _POLL_NO_ERROR
    if pd.rd < 0.0:
        return _POLL_ERR_TIMEOUT
    if park_first and not pd.hup:
        return wait_io(np, pd, False)
    if pd.rg is _READY:
        pd.rg = None
    return _POLL_NO_ERROR


cdef inline int wait_io(Netpoll np, PollDesc pd, bint write) except -1:
    cdef Sched rt
    cdef Goroutine g
    cdef object old
    if pd.closing:
        return _POLL_ERR_CLOSING
    if (pd.wd if write else pd.rd) < 0.0:
        return _POLL_ERR_TIMEOUT
    rt = np.rt
    while True:
        old = pd.wg if write else pd.rg
        if old is _READY:
            if write:
                pd.wg = None
            else:
                pd.rg = None
            return _POLL_NO_ERROR
        if old is not None:
            np.double_wait()
        g = rt.curg
        if g is None:
            g = rt.checkg()  # raises: not in a goroutine (gopark checks the thread)
        if write:
            pd.wg = g
            pd.wtoken = g.parkseq
        else:
            pd.rg = g
            pd.rtoken = g.parkseq
        rt.io_waiters += 1
        try:
            rt.gopark(_WAIT_IO)
        finally:
            rt.io_waiters -= 1
            if write:
                old = pd.wg
                pd.wg = None
            else:
                old = pd.rg
                pd.rg = None
        if old is _READY:
            return _POLL_NO_ERROR
        if pd.closing:
            return _POLL_ERR_CLOSING
        if (pd.wd if write else pd.rd) < 0.0:
            return _POLL_ERR_TIMEOUT
