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


# A cache of CPython's data-stack chunks, in C because it is an allocator hook.
#
# CPython 3.11 keeps Python frames in per-thread-state "data stack" chunks of
# 16 KiB (DATA_STACK_CHUNK_SIZE in Python/pystate.c), allocated through the
# object arena allocator (mmap/munmap). greenlet gives every greenlet its own
# data stack, so every goroutine that starts mmaps a chunk and every goroutine
# that ends munmaps it: with 100,000 goroutines, half of the time of spawning
# and ending them was in the kernel (perf: munmap 21 %, mmap 14 %). This keeps
# up to GONET_CHUNK_CACHE freed chunks for reuse (at most 16 MiB of address
# space; a freed chunk keeps only the pages its frames touched, mostly one),
# maps new chunks GONET_CHUNK_BATCH at a time when it has none, and passes
# every other allocation to the allocator it replaced. Chunks beyond the cache
# are returned with munmap, as CPython's own arena allocator does on Linux,
# GONET_UNMAP_BATCH at a time, sorted, one call per contiguous run: a munmap
# per chunk splits the mapping every time (perf: 21 % of waking and ending
# 100,000 goroutines).
cdef extern from *:
    """
    #define GONET_CHUNK_SIZE (16 * 1024)
    #define GONET_CHUNK_CACHE 1024
    #define GONET_CHUNK_BATCH 32
    #define GONET_UNMAP_BATCH 256
    #include <stdint.h>
    #include <stdlib.h>
    #include <sys/mman.h>
    static PyObjectArenaAllocator gonet_arena_next;
    static void *gonet_chunks[GONET_CHUNK_CACHE];
    static int gonet_nchunks = -1;  /* -1: not installed */
    static char *gonet_unmap[GONET_UNMAP_BATCH];
    static int gonet_nunmap = 0;

    static CYTHON_UNUSED int gonet_addr_cmp(const void *a, const void *b) {
        uintptr_t x = (uintptr_t)*(char *const *)a, y = (uintptr_t)*(char *const *)b;
        return (x > y) - (x < y);
    }

    static CYTHON_UNUSED void gonet_unmap_pending(void) {
        int i = 0, j;
        qsort(gonet_unmap, (size_t)gonet_nunmap, sizeof(char *), gonet_addr_cmp);
        while (i < gonet_nunmap) {
            char *start = gonet_unmap[i];
            size_t len = GONET_CHUNK_SIZE;
            for (j = i + 1; j < gonet_nunmap && gonet_unmap[j] == start + len; j++)
                len += GONET_CHUNK_SIZE;
            munmap(start, len);
            i = j;
        }
        gonet_nunmap = 0;
    }

    static CYTHON_UNUSED void *gonet_arena_alloc(void *ctx, size_t size) {
        if (size == GONET_CHUNK_SIZE) {
            if (gonet_nchunks == 0) {
                char *batch = (char *)mmap(NULL, GONET_CHUNK_SIZE * GONET_CHUNK_BATCH,
                                           PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                           -1, 0);
                int i;
                if (batch == MAP_FAILED)
                    return NULL;
                for (i = GONET_CHUNK_BATCH - 1; i > 0; i--)
                    gonet_chunks[gonet_nchunks++] = batch + (size_t)i * GONET_CHUNK_SIZE;
                return batch;
            }
            return gonet_chunks[--gonet_nchunks];
        }
        return gonet_arena_next.alloc(gonet_arena_next.ctx, size);
    }

    static CYTHON_UNUSED void gonet_arena_free(void *ctx, void *ptr, size_t size) {
        if (size == GONET_CHUNK_SIZE && gonet_nchunks < GONET_CHUNK_CACHE) {
            gonet_chunks[gonet_nchunks++] = ptr;
            return;
        }
        if (size == GONET_CHUNK_SIZE) {
            gonet_unmap[gonet_nunmap++] = (char *)ptr;
            if (gonet_nunmap == GONET_UNMAP_BATCH)
                gonet_unmap_pending();
            return;
        }
        gonet_arena_next.free(gonet_arena_next.ctx, ptr, size);
    }

    static CYTHON_UNUSED void gonet_install_chunk_cache(void) {
        PyObjectArenaAllocator mine;
        if (gonet_nchunks >= 0)
            return;
        PyObject_GetArenaAllocator(&gonet_arena_next);
        mine.ctx = NULL;
        mine.alloc = gonet_arena_alloc;
        mine.free = gonet_arena_free;
        gonet_nchunks = 0;
        PyObject_SetArenaAllocator(&mine);
    }
    """
    void gonet_install_chunk_cache()


cdef inline void install_chunk_cache():
    gonet_install_chunk_cache()


cimport cython

# Goroutine states: values assigned from gstatus.py at import (see there).
cdef int IDLE, RUNNABLE, RUNNING, WAITING, DEAD
cdef unsigned long long _MASK64, _MUL64


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
    cdef public object sudog


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
    cdef public unsigned long long randstate
    cpdef Goroutine checkg(self)
    @cython.locals(g=Goroutine, nxt=Goroutine, runq=RunQueue)
    cpdef object gopark(self, str reason)
    cpdef bint goready(self, Goroutine g, long long seq, object value=*) except -1


cdef int enter(Sched s, Goroutine g) except -1
cdef inline int execute(Sched s, Goroutine g) except -1
@cython.locals(x="unsigned long long", r="unsigned long long")
cpdef Py_ssize_t fastrandn(Sched s, Py_ssize_t n) except -1
cpdef Sched current_sched()
cpdef Sched getsched()
