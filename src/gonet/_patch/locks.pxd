# Cython declarations augmenting locks.py (pure-Python mode). See setup.py.
from gonet._runtime.g cimport Goroutine, Sched, current_glet, current_sched, greenlet_import


cdef class Lock:
    cdef object __weakref__
    cdef public object _inner
    cdef public object _waiters


cdef class RLock:
    cdef object __weakref__
    cdef public Lock _block
    cdef public object _owner
    cdef public Py_ssize_t _count
