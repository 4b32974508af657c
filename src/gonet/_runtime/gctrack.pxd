# Cython declarations augmenting gctrack.py (pure-Python mode). See setup.py.
# Inline, so the modules that cimport them (proc, chan) call CPython directly.

from cpython.object cimport PyTypeObject, Py_TYPE

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(object op)
    void PyObject_GC_Track(object op)
    bint PyType_IS_GC(PyTypeObject *tp)

# Whether an object of a GC type is tracked. PyObject_GC_IsTracked asks the type's
# tp_is_gc first, and greenlet's (C++ reference checks) made it ≈ 50 instructions per
# call; CPython 3.11 to 3.13 keep the answer in the GC header just before the object
# (_PyObject_GC_IS_TRACKED: its first word is non-zero). Elsewhere, the public call.
cdef extern from *:
    """
    #if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000 && !defined(Py_GIL_DISABLED)
    #define gonet_gc_is_tracked(o) (((uintptr_t *)(o))[-2] != 0)
    #else
    #define gonet_gc_is_tracked(o) PyObject_GC_IsTracked(o)
    #endif
    """
    bint gonet_gc_is_tracked(object op)


cdef inline void untrack(object obj):
    PyObject_GC_UnTrack(obj)  # a no-op on an object that is not tracked


cdef inline void retrack(object obj):
    # PyObject_GC_Track on a tracked object (or one whose type has no GC) is fatal.
    # The type's flag, not PyObject_IS_GC: that asks tp_is_gc, and greenlet's says
    # "no" for a running greenlet, which is what goexit0 re-tracks.
    if PyType_IS_GC(Py_TYPE(obj)) and not gonet_gc_is_tracked(obj):
        PyObject_GC_Track(obj)
