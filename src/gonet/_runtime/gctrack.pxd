# Cython declarations augmenting gctrack.py (pure-Python mode). See setup.py.
# Inline, so the modules that cimport them (proc, chan) call CPython directly.

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(object op)
    void PyObject_GC_Track(object op)
    bint PyObject_GC_IsTracked(object op)
    bint PyObject_IS_GC(object op)


cdef inline void untrack(object obj):
    PyObject_GC_UnTrack(obj)  # a no-op on an object that is not tracked


cdef inline void retrack(object obj):
    # PyObject_GC_Track on a tracked object (or one whose type has no GC) is fatal.
    if PyObject_IS_GC(obj) and not PyObject_GC_IsTracked(obj):
        PyObject_GC_Track(obj)
