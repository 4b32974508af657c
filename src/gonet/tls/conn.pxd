# Cython declarations augmenting conn.py (pure-Python mode). See setup.py.
# The locks, the read buffer and the record tracker are typed: their fields are read as C
# struct fields on every read and write. The public methods are cpdef (callable from Python
# as before); the private helpers are cdef (object return: exceptions propagate).

cimport cython
from gonet.tls.info cimport ConnInfo
from gonet.tls.lock cimport ConnLock, thread_ident
from gonet.tls.readbuf cimport ReadBuffer
from gonet.tls.record cimport RecordTracker

cdef object _EOF


cdef class TLSConn(ConnInfo):
    cdef object __weakref__
    cdef public bytearray _buf
    cdef public bint _closed
    cdef public object _cn_err
    cdef public bint _cn_sent
    cdef object _conn_read_into
    cdef object _conn_write
    cdef public object _context
    cdef public bint _go_eof
    cdef public object _hs_err
    cdef public object _hs_mu
    cdef public object _in
    cdef public ConnLock _in_lk
    cdef object _in_write
    cdef public object _out
    cdef public ConnLock _out_lk
    cdef object _out_read
    cdef public ReadBuffer _rb
    cdef public RecordTracker _rec
    cdef public object _rerr
    cdef public object _ssl
    cdef object _ssl_pending
    cdef object _ssl_read
    cdef object _ssl_write
    cdef public unsigned long _tid
    cdef public object _werr

    cpdef handshake(self)
    cdef _run_handshake(self)
    @cython.locals(lk=ConnLock)
    cpdef read(self, n=*)
    @cython.locals(lk=ConnLock, n=Py_ssize_t)
    cpdef read_into(self, buffer)
    @cython.locals(rec=RecordTracker, rb=ReadBuffer, buf=bytearray, m=Py_ssize_t,
                   k=Py_ssize_t, body=Py_ssize_t)
    cdef _read_locked(self, Py_ssize_t n, buffer)
    cdef _feed(self, Py_ssize_t n)
    cdef _transport_eof(self)
    @cython.locals(lk=ConnLock)
    cdef _flush_from_reader(self)
    @cython.locals(lk=ConnLock)
    cpdef write(self, data)
    @cython.locals(total=Py_ssize_t, off=Py_ssize_t, end=Py_ssize_t)
    cdef _write_locked(self, data)
    cdef _renegotiation(self, Py_ssize_t written)
    cdef _drain(self)
