# Cython declarations augmenting parse.py (pure-Python mode). See setup.py.
# Attributes are C struct fields (direct access from the class's own methods); they stay
# untyped objects so that both builds accept exactly the same values.
#
# The inline scanners below are the compiled build's fast path (parse.py, parse_head):
# byte loops that ACCEPT only what the regular expressions of parse.py accept and give
# the same pieces; anything else returns None and parse.py runs its regular-expression
# path, which finds the verdict and the error message. Keep in step with parse.py.

cimport cython
from cpython.unicode cimport PyUnicode_DecodeLatin1
from libc.string cimport memcmp


cdef extern from "string.h":
    # GNU memmem (Python.h defines _GNU_SOURCE on Linux).
    const void* memmem(const void* haystack, size_t hlen, const void* needle, size_t nlen)


cdef class RequestHead:
    cdef public object chunked
    cdef public object content_length
    cdef public object expect_continue
    cdef public object headers
    cdef public object host
    cdef public object index
    cdef public object keep_alive
    cdef public object method
    cdef public object minor
    cdef public object target


cpdef parse_into(buf, head, max_request_line, max_header_bytes, max_header_fields)
@cython.locals(index=dict)
cpdef _framing(RequestHead head, method, target, minor, list headers, dict index=*)


cdef inline bint _tchar(unsigned char c) noexcept:
    # RFC 9110 tchar: parse.py's _TOKEN.
    if c >= 128:
        return False
    if 97 <= c <= 122 or 65 <= c <= 90 or 48 <= c <= 57:
        return True
    return c in (33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126)


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline object _scan_request_line(bytes buf, Py_ssize_t start, Py_ssize_t line_end):
    # (method, target, minor) for "token SP [\x21-\x7e]+ SP HTTP/1.0|1.1", else None.
    cdef const unsigned char* p = buf
    cdef Py_ssize_t i = start
    cdef Py_ssize_t m_end, t_start, t_end
    while i < line_end and _tchar(p[i]):
        i += 1
    if i == start or i >= line_end or p[i] != 32:
        return None
    m_end = i
    i += 1
    t_start = i
    while i < line_end and 0x21 <= p[i] <= 0x7e:
        i += 1
    if i == t_start or line_end - i != 9 or memcmp(p + i, b" HTTP/1.", 8) != 0:
        return None
    t_end = i
    if p[line_end - 1] == 49:  # '1'
        minor = 1
    elif p[line_end - 1] == 48:  # '0'
        minor = 0
    else:
        return None
    return (_method_str(p + start, m_end - start),
            PyUnicode_DecodeLatin1(<const char*>p + t_start, t_end - t_start, NULL), minor)


cdef inline object _method_str(const unsigned char* p, Py_ssize_t n):
    # The method as a str: a constant for the common ones (no new str per request).
    if n == 3 and memcmp(p, b"GET", 3) == 0:
        return "GET"
    if n == 4:
        if memcmp(p, b"POST", 4) == 0:
            return "POST"
        if memcmp(p, b"HEAD", 4) == 0:
            return "HEAD"
    return PyUnicode_DecodeLatin1(<const char*>p, n, NULL)


cdef inline object _known_name(const unsigned char* p, Py_ssize_t n):
    # (name as sent, lower-cased name) as constant strs for the most common header names,
    # spelled canonically or in lower case; None for any other name.
    cdef unsigned char c = p[0]
    if n == 4:
        if memcmp(p, b"Host", 4) == 0:
            return ("Host", "host")
        if memcmp(p, b"host", 4) == 0:
            return ("host", "host")
    elif n == 6:
        if c == 65 and memcmp(p, b"Accept", 6) == 0:
            return ("Accept", "accept")
        if c == 97 and memcmp(p, b"accept", 6) == 0:
            return ("accept", "accept")
        if c == 69 and memcmp(p, b"Expect", 6) == 0:
            return ("Expect", "expect")
        if c == 101 and memcmp(p, b"expect", 6) == 0:
            return ("expect", "expect")
    elif n == 10:
        if c == 85 and memcmp(p, b"User-Agent", 10) == 0:
            return ("User-Agent", "user-agent")
        if c == 117 and memcmp(p, b"user-agent", 10) == 0:
            return ("user-agent", "user-agent")
        if c == 67 and memcmp(p, b"Connection", 10) == 0:
            return ("Connection", "connection")
        if c == 99 and memcmp(p, b"connection", 10) == 0:
            return ("connection", "connection")
    elif n == 12:
        if memcmp(p, b"Content-Type", 12) == 0:
            return ("Content-Type", "content-type")
        if memcmp(p, b"content-type", 12) == 0:
            return ("content-type", "content-type")
    elif n == 14:
        if memcmp(p, b"Content-Length", 14) == 0:
            return ("Content-Length", "content-length")
        if memcmp(p, b"content-length", 14) == 0:
            return ("content-length", "content-length")
    elif n == 15:
        if memcmp(p, b"Accept-Encoding", 15) == 0:
            return ("Accept-Encoding", "accept-encoding")
        if memcmp(p, b"accept-encoding", 15) == 0:
            return ("accept-encoding", "accept-encoding")
    elif n == 17:
        if memcmp(p, b"Transfer-Encoding", 17) == 0:
            return ("Transfer-Encoding", "transfer-encoding")
        if memcmp(p, b"transfer-encoding", 17) == 0:
            return ("transfer-encoding", "transfer-encoding")
    return None


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline object _scan_fields(bytes buf, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t max_fields,
                                dict index):
    # The (name, value) pairs of buf[pos:end + 2], where buf[end:end + 4] is CRLF CRLF and each
    # line is "token:OWS value OWS CRLF" (value: HTAB, 0x20-0x7e, 0x80-0xff), OWS stripped;
    # None for anything else or more than max_fields fields. Every scan stops at the CR at
    # `end` at the latest, so no index passes end + 1. Also fills `index`: lower-cased name ->
    # value (the last value of a repeated name: _framing then rebuilds it, as parse.py does).
    cdef const unsigned char* p = buf
    cdef Py_ssize_t i = pos
    cdef Py_ssize_t ns, ne, vs, ve, k
    cdef Py_ssize_t n = 0
    cdef unsigned char c
    cdef bint upper
    cdef list headers = []
    cdef char low[64]
    while i < end + 2:
        ns = i
        upper = False
        while i < end and _tchar(p[i]):
            if 65 <= p[i] <= 90:
                upper = True
            i += 1
        if i == ns or p[i] != 58:  # ':'
            return None
        ne = i
        i += 1
        while p[i] == 32 or p[i] == 9:
            i += 1
        vs = i
        while True:
            c = p[i]
            if c == 13:
                break
            if (c < 32 and c != 9) or c == 127:
                return None
            i += 1
        if p[i + 1] != 10:
            return None
        ve = i
        while ve > vs and (p[ve - 1] == 32 or p[ve - 1] == 9):
            ve -= 1
        n += 1
        if n > max_fields:
            return None
        value = PyUnicode_DecodeLatin1(<const char*>p + vs, ve - vs, NULL)
        known = _known_name(p + ns, ne - ns)
        if known is not None:
            name = (<tuple>known)[0]
            key = (<tuple>known)[1]
        else:
            name = PyUnicode_DecodeLatin1(<const char*>p + ns, ne - ns, NULL)
            if not upper:
                key = name
            elif ne - ns <= 64:
                for k in range(ne - ns):
                    c = p[ns + k]
                    low[k] = c + 32 if 65 <= c <= 90 else c
                key = PyUnicode_DecodeLatin1(low, ne - ns, NULL)
            else:
                key = name.lower()
        headers.append((name, value))
        index[key] = value
        i += 2
    return headers


cdef inline bint _host_chars_ok(str host):
    # parse.py's _HOST_RE: every character in 0x21-0x7e.
    cdef Py_UCS4 c
    for c in host:
        if not 0x21 <= c <= 0x7e:
            return False
    return True


cdef inline object _parse_fast(bytes buf, Py_ssize_t max_request_line, Py_ssize_t max_header_bytes,
                               Py_ssize_t max_header_fields):
    # parse_head's common case: a complete head with no empty lines before it, within the
    # limits, that the scanners accept -> (method, target, minor, fields, consumed, index); else
    # None (parse.py then takes the general path, which gives every verdict).
    cdef const char* p = buf
    cdef Py_ssize_t n = len(buf)
    cdef const char* e
    cdef Py_ssize_t end, line_end
    if n < 4 or p[0] == 13:
        return None
    e = <const char*>memmem(p, n, b"\r\n\r\n", 4)
    if e == NULL:
        return None
    end = e - p
    line_end = <const char*>memmem(p, end + 2, b"\r\n", 2) - p
    if line_end > max_request_line or end - line_end > max_header_bytes:
        return None
    rl = _scan_request_line(buf, 0, line_end)
    if rl is None:
        return None
    index = {}
    fields = [] if line_end == end else _scan_fields(buf, line_end + 2, end, max_header_fields, index)
    if fields is None:
        return None
    return rl[0], rl[1], rl[2], fields, end + 4, index
