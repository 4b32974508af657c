# Cython declarations augmenting g.py (pure-Python mode). See setup.py.
from cpython.ref cimport PyObject, Py_DECREF
from cpython.pythread cimport PyThread_get_thread_ident


cdef extern from "greenlet.h":
    ctypedef struct PyGreenlet:
        pass
    object PyGreenlet_Switch(PyGreenlet* g, PyObject* args, PyObject* kwargs)
    PyGreenlet* PyGreenlet_GetCurrent()
    int PyGreenlet_SetParent(PyGreenlet* g, PyGreenlet* nparent) except -1
    void PyGreenlet_Import()


cdef inline object switch_to(object glet):
    # greenlet.switch() without a bound-method object or an argument tuple.
    return PyGreenlet_Switch(<PyGreenlet*>glet, <PyObject*>(), NULL)


cdef inline int set_parent(object glet, object parent) except -1:
    # glet.parent = parent without the generic attribute lookup (≈ 110 instructions).
    return PyGreenlet_SetParent(<PyGreenlet*>glet, <PyGreenlet*>parent)


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
    /* A goroutine's data-stack root chunk (gonet_gstart below): 1,024 bytes of
       malloc heap with its header, four to a page; a multiple of 8 that no other
       arena allocation has. */
    #define GONET_ROOT_CHUNK_SIZE 1008
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
        if (size == GONET_ROOT_CHUNK_SIZE) {  /* a goroutine's root chunk: gonet_gstart */
            PyMem_RawFree(ptr);
            return;
        }
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

    /* The block cache in front of the raw allocator: see install_allocator_caches. */
    #include <malloc.h>
    #include <pthread.h>
    #define GONET_BLK_MIN 1024     /* glibc's tcache serves requests up to 1,032 bytes */
    /* 64, not 32: with 32-byte classes (16 bytes less per parked goroutine) a
       select round trip took 10-15 % longer in alternating processes, the
       same instructions: the copies then sit at other offsets from the stack
       they are copied to and from (bench/README.md, "Session 11"). */
    #define GONET_BLK_STEP 64
    #define GONET_BLK_CLASSES 112  /* requests up to 1,024 + 112 * 64 = 8,192 bytes */
    #define GONET_BLK_DEPTH 7      /* a class is one 64-byte cache line: 7 blocks and a count */
    #define GONET_BLK_MAX_BYTES (512 * 1024)
    typedef struct { void *blk[GONET_BLK_DEPTH]; size_t n; } gonet_blk_class;
    static PyMemAllocatorEx gonet_raw_next;
    static gonet_blk_class *gonet_blk;  /* [GONET_BLK_CLASSES + 1], [0] unused */
    static size_t gonet_blk_bytes;
    /* 0 free, 1 held. A held lock is never waited for: the caller goes to the
       allocator beneath, so no thread blocks here and a fork taken while a
       thread held it cannot hang the child (which resets it anyway). */
    static int gonet_blk_lock;

    static CYTHON_UNUSED void *gonet_raw_malloc(void *ctx, size_t size) {
        if (size > GONET_BLK_MIN && size <= GONET_BLK_MIN + GONET_BLK_CLASSES * GONET_BLK_STEP) {
            /* class c holds blocks of at least GONET_BLK_MIN + c * STEP usable bytes */
            size_t c = (size - GONET_BLK_MIN + GONET_BLK_STEP - 1) / GONET_BLK_STEP;
            size_t want = GONET_BLK_MIN + c * GONET_BLK_STEP;
            void *p = NULL;
            if (!__atomic_exchange_n(&gonet_blk_lock, 1, __ATOMIC_ACQUIRE)) {
                if (gonet_blk[c].n) {
                    p = gonet_blk[c].blk[--gonet_blk[c].n];
                    gonet_blk_bytes -= want;
                }
                __atomic_store_n(&gonet_blk_lock, 0, __ATOMIC_RELEASE);
            }
            /* a new block gets its class's size, so that it serves the class when freed */
            return p != NULL ? p : gonet_raw_next.malloc(gonet_raw_next.ctx, want);
        }
        return gonet_raw_next.malloc(gonet_raw_next.ctx, size);
    }

    static CYTHON_UNUSED void gonet_raw_free(void *ctx, void *p) {
        if (p != NULL) {
            size_t u = malloc_usable_size(p);
            if (u >= GONET_BLK_MIN + GONET_BLK_STEP
                    && u < GONET_BLK_MIN + (GONET_BLK_CLASSES + 1) * GONET_BLK_STEP) {
                size_t c = (u - GONET_BLK_MIN) / GONET_BLK_STEP;  /* the largest class u serves */
                size_t held = GONET_BLK_MIN + c * GONET_BLK_STEP;
                int kept = 0;
                if (!__atomic_exchange_n(&gonet_blk_lock, 1, __ATOMIC_ACQUIRE)) {
                    if (gonet_blk[c].n < GONET_BLK_DEPTH
                            && gonet_blk_bytes + held <= GONET_BLK_MAX_BYTES) {
                        gonet_blk[c].blk[gonet_blk[c].n++] = p;
                        gonet_blk_bytes += held;
                        kept = 1;
                    }
                    __atomic_store_n(&gonet_blk_lock, 0, __ATOMIC_RELEASE);
                }
                if (kept)
                    return;
            }
        }
        gonet_raw_next.free(gonet_raw_next.ctx, p);
    }

    static CYTHON_UNUSED void *gonet_raw_realloc(void *ctx, void *p, size_t size) {
        /* greenlet saves a stack with realloc(NULL, n); any other block is the
           allocator beneath's, cached or not, and its realloc takes it */
        if (p == NULL)
            return gonet_raw_malloc(ctx, size);
        return gonet_raw_next.realloc(gonet_raw_next.ctx, p, size);
    }

    static CYTHON_UNUSED void *gonet_raw_calloc(void *ctx, size_t n, size_t size) {
        return gonet_raw_next.calloc(gonet_raw_next.ctx, n, size);
    }

    static CYTHON_UNUSED void gonet_blk_after_fork(void) {
        gonet_blk_lock = 0;
    }

    static CYTHON_UNUSED void gonet_install_block_cache(void) {
        PyMemAllocatorEx cur, mine;
        PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &cur);
        /* Only over the default allocator (malloc, no context): the debug hooks
           (PYTHONMALLOC=debug, -X dev) and tracemalloc have a context, and their
           blocks are not malloc's own, which malloc_usable_size needs. */
        if (cur.ctx != NULL || cur.malloc == gonet_raw_malloc)
            return;
        if (posix_memalign((void **)&gonet_blk, 64, (GONET_BLK_CLASSES + 1) * sizeof(gonet_blk_class)))
            return;  /* no cache, as before */
        memset(gonet_blk, 0, (GONET_BLK_CLASSES + 1) * sizeof(gonet_blk_class));
        gonet_raw_next = cur;
        mine.ctx = NULL;
        mine.malloc = gonet_raw_malloc;
        mine.calloc = gonet_raw_calloc;
        mine.realloc = gonet_raw_realloc;
        mine.free = gonet_raw_free;
        pthread_atfork(NULL, NULL, gonet_blk_after_fork);
        PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &mine);
    }

    static CYTHON_UNUSED int gonet_block_cache_installed(void) {
        return gonet_blk != NULL;
    }

    static CYTHON_UNUSED void gonet_install_allocator_caches(void) {
        PyObjectArenaAllocator mine;
        if (gonet_nchunks >= 0)  /* installed: once per process */
            return;
        gonet_install_block_cache();
        PyObject_GetArenaAllocator(&gonet_arena_next);
        mine.ctx = NULL;
        mine.alloc = gonet_arena_alloc;
        mine.free = gonet_arena_free;
        gonet_nchunks = 0;
        PyObject_SetArenaAllocator(&mine);
    }
    """
    void gonet_install_allocator_caches()
    bint gonet_block_cache_installed()


# install_allocator_caches installs both caches above, once per process.
#
# The second one, the block cache, stands in front of CPython's raw allocator
# (PYMEM_DOMAIN_RAW: malloc beneath PyMem_Malloc's and PyObject_Malloc's
# blocks over 512 bytes). Every time a goroutine parks, greenlet copies its C
# stack (1-3 KB: 1,880 bytes parked in a channel receive) into a block it
# gets with PyMem_Realloc(NULL, n) and frees when the goroutine runs again.
# glibc's per-thread cache stops at 1,032 bytes, so each of those blocks took
# glibc's bin path: 1,000 instructions a channel round trip of 8,300, and
# 40 instruction-cache lines of malloc.c on the hottest path (callgrind). This
# keeps up to GONET_BLK_DEPTH (7) freed blocks per 64-byte size class from 1 to
# 8 KiB (at most GONET_BLK_MAX_BYTES in all) and hands them out again; a new
# block is allocated at its class's size (at most 63 bytes more) so that it
# serves its class when it comes back. Installed only over the default
# allocator (see gonet_install_block_cache); safe without the GIL, as the raw
# domain must be; nothing else changes (a block is still malloc's; calloc,
# and realloc of an existing block, go straight to malloc).
cdef inline void install_allocator_caches():
    gonet_install_allocator_caches()


cdef inline bint block_cache_installed():
    return gonet_block_cache_installed()


# A goroutine's own small data-stack root chunk, in C because it sets CPython's
# thread-state fields.
#
# The hook above made the 16 KiB chunks cheap to get, but each one still costs a
# page of RSS: a goroutine's first frames touch the first page of its own chunk,
# and two chunks 16 KiB apart never share a page (of a parked goroutine's 6.9 KB,
# 4 KiB was that page). A goroutine's greenlet therefore starts in
# gonet_gstart, a C function (a C call pushes no Python frame), which finds the
# thread state's data stack empty — greenlet starts every greenlet with none
# (TPythonState.cpp) — and gives it a GONET_ROOT_CHUNK_SIZE chunk from malloc
# before the first Python frame (goexit_body) is pushed. malloc packs these
# chunks four to a page. CPython treats it as any root chunk: frames that do not
# fit go into a 16 KiB chunk it pushes on top (its `previous` is this one, and
# popping it restores this chunk's limit from its `size`), and the root chunk
# itself is never popped (the first slot is skipped, as push_chunk does for a
# root). greenlet frees a finished greenlet's chunks through the arena allocator
# with each chunk's size (PythonState::did_finish, CPython's clear_datastack
# likewise): the hook above routes this size, which no other arena allocation
# has (pymalloc's arenas are 1 MiB, data-stack chunks 16 KiB and up), back to
# free(). Only while that hook is the arena allocator; and only on CPython 3.11,
# whose _PyStackChunk and push_chunk this is checked against (3.12 and 3.13 are
# not checked: they start greenlets with CPython's own 16 KiB chunk).
cdef extern from *:
    """
    #if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
    #define GONET_ROOT_CHUNK 1
    #else
    #define GONET_ROOT_CHUNK 0
    #endif

    static CYTHON_UNUSED PyObject *gonet_gstart(PyObject *body, PyObject *unused) {
    #if GONET_ROOT_CHUNK
        PyThreadState *ts = PyThreadState_Get();
        if (ts->datastack_chunk == NULL && gonet_nchunks >= 0) {
            PyObjectArenaAllocator cur;
            PyObject_GetArenaAllocator(&cur);
            if (cur.free == gonet_arena_free) {
                _PyStackChunk *c = (_PyStackChunk *)PyMem_RawMalloc(GONET_ROOT_CHUNK_SIZE);
                if (c != NULL) {  /* else CPython allocates its own chunk, as before */
                    c->previous = NULL;
                    c->size = GONET_ROOT_CHUNK_SIZE;
                    c->top = 0;
                    ts->datastack_chunk = c;
                    ts->datastack_top = &c->data[1];
                    ts->datastack_limit = (PyObject **)((char *)c + GONET_ROOT_CHUNK_SIZE);
                }
            }
        }
    #endif
        return PyObject_CallNoArgs(body);
    }

    static PyMethodDef gonet_gstart_def = {
        "goroutine_start", gonet_gstart, METH_NOARGS,
        "goroutine_start runs a goroutine's body on a small data-stack root chunk (g.pxd)."};

    static CYTHON_UNUSED PyObject *gonet_goroutine_entry(PyObject *body) {
        return PyCFunction_New(&gonet_gstart_def, body);
    }

    static CYTHON_UNUSED Py_ssize_t gonet_root_chunk_bytes(void) {
        PyObjectArenaAllocator cur;
        if (!GONET_ROOT_CHUNK || gonet_nchunks < 0)
            return 0;
        PyObject_GetArenaAllocator(&cur);
        return cur.free == gonet_arena_free ? GONET_ROOT_CHUNK_SIZE : 0;
    }
    """
    object gonet_goroutine_entry(object body)
    Py_ssize_t gonet_root_chunk_bytes()


cdef inline object goroutine_entry(object body):
    return gonet_goroutine_entry(body)


cdef inline Py_ssize_t root_chunk_bytes():
    return gonet_root_chunk_bytes()


# The runtime running on this thread (g.py's _tls.sched), as a C thread-local:
# _ThreadState's setter keeps it, current_sched and getsched read it. Borrowed:
# the threading.local's per-thread dict owns the reference, and both end with
# the thread. Static, so each module that cimports this file has its own
# (unused) copy: only g.c's is ever set or read.
cdef extern from *:
    """
    static __thread PyObject *gonet_tls_sched CYTHON_UNUSED = NULL;

    static CYTHON_UNUSED PyObject *gonet_cached_sched(void) {
        PyObject *s = gonet_tls_sched != NULL ? gonet_tls_sched : Py_None;
        Py_INCREF(s);
        return s;
    }

    static CYTHON_UNUSED void gonet_cache_sched(PyObject *s) {
        gonet_tls_sched = s == Py_None ? NULL : s;
    }
    """
    object cached_sched "gonet_cached_sched" ()
    void cache_sched "gonet_cache_sched" (object s)


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
    cdef public Goroutine allprev
    cdef public Goroutine allnext


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
    cpdef Goroutine new_goroutine(self, object fn, object args, object kwargs)
    cpdef tuple gostart(self)
    cpdef goexit0(self, Goroutine g, object result)


cdef int enter(Sched s, Goroutine g) except -1
cdef inline int execute(Sched s, Goroutine g) except -1
@cython.locals(x="unsigned long long", r="unsigned long long")
cpdef Py_ssize_t fastrandn(Sched s, Py_ssize_t n) except -1
cpdef Sched current_sched()
cpdef Sched getsched()
