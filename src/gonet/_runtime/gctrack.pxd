# Cython declarations augmenting gctrack.py (pure-Python mode). See setup.py.
# Inline, so the modules that cimport them (proc, chan) call CPython directly.

from cpython.object cimport PyTypeObject, Py_TYPE

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(object op)
    void PyObject_GC_Track(object op)
    bint PyObject_GC_IsTracked(object op)
    bint PyType_IS_GC(PyTypeObject *tp)


cdef inline void untrack(object obj):
    PyObject_GC_UnTrack(obj)  # a no-op on an object that is not tracked


cdef inline void retrack(object obj):
    # PyObject_GC_Track on a tracked object (or one whose type has no GC) is fatal.
    # The type's flag, not PyObject_IS_GC: that asks tp_is_gc, and greenlet's says
    # "no" for a running greenlet, which is what goexit0 re-tracks.
    if PyType_IS_GC(Py_TYPE(obj)) and not PyObject_GC_IsTracked(obj):
        PyObject_GC_Track(obj)
