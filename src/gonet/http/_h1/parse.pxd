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
from libc.string cimport memchr, memcmp


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
@cython.locals(only_host=bint)
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
cdef inline int _scan_request_line(const unsigned char* p, Py_ssize_t line_end, Py_ssize_t* m_end, Py_ssize_t* t_end) noexcept:
    # The minor version of "token SP [\x21-\x7e]+ SP HTTP/1.0|1.1" at p[:line_end], setting
    # m_end (the method's end; the target starts at m_end + 1) and t_end; -1 for anything else.
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t t_start
    while i < line_end and _tchar(p[i]):
        i += 1
    if i == 0 or i >= line_end or p[i] != 32:
        return -1
    m_end[0] = i
    i += 1
    t_start = i
    while i < line_end and 0x21 <= p[i] <= 0x7e:
        i += 1
    if i == t_start or line_end - i != 9 or memcmp(p + i, b" HTTP/1.", 8) != 0:
        return -1
    t_end[0] = i
    if p[line_end - 1] == 49:  # '1'
        return 1
    if p[line_end - 1] == 48:  # '0'
        return 0
    return -1


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
cdef inline object _scan_fields(bytes buf, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t max_fields, dict index):
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


cdef inline Py_ssize_t _find_head_end(const char* p, Py_ssize_t n) noexcept:
    # Where the first CRLF CRLF of p[:n] starts, -1 if there is none.
    cdef const char* q = p
    cdef const char* stop = p + n - 3
    while q < stop:
        q = <const char*>memchr(q, 13, stop - q)
        if q == NULL:
            return -1
        if q[1] == 10 and q[2] == 13 and q[3] == 10:
            return q - p
        q += 1
    return -1


cdef inline Py_ssize_t _parse_fast(bytes buf, RequestHead head, Py_ssize_t max_request_line,
                                   Py_ssize_t max_header_bytes, Py_ssize_t max_header_fields) except -1:
    # parse_into's common case: a complete head with no empty lines before it, within the
    # limits, that the scanners accept -> head filled (by _framing, which may refuse it) and
    # the bytes consumed; else 0 (parse.py then takes the general path, which gives every
    # verdict).
    cdef const char* p = buf
    cdef Py_ssize_t n = len(buf)
    cdef Py_ssize_t end, line_end, m_end, t_end
    cdef int minor
    cdef const char* cr
    if n < 4 or p[0] == 13:
        return 0
    end = _find_head_end(p, n)
    if end < 0:
        return 0
    # The first CR ends the request line; one without its LF is for the general path.
    cr = <const char*>memchr(p, 13, end + 1)
    line_end = cr - p
    if p[line_end + 1] != 10:
        return 0
    if line_end > max_request_line or end - line_end > max_header_bytes:
        return 0
    minor = _scan_request_line(<const unsigned char*>p, line_end, &m_end, &t_end)
    if minor < 0:
        return 0
    index = {}
    fields = [] if line_end == end else _scan_fields(buf, line_end + 2, end, max_header_fields, index)
    if fields is None:
        return 0
    _framing(head, _method_str(<const unsigned char*>p, m_end),
             PyUnicode_DecodeLatin1(p + m_end + 1, t_end - m_end - 1, NULL), minor, fields, index)
    return end + 4
