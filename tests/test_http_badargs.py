"""Public gonet.http classes given wrong objects raise TypeError in both builds.

Compiled, these parameters are C-typed, and a C-typed parameter lets ``None``
through; reading a field of it would crash the interpreter, so the classes
check first. The plain build must raise the same error.
"""

from __future__ import annotations

import pytest

from gonet.http.request import Request
from gonet.http.wsgi import WSGIHandler


@pytest.mark.parametrize("head", [None, object(), "GET / HTTP/1.1"])
def test_request_needs_a_parsed_head(head: object) -> None:
    with pytest.raises(TypeError, match="head must be a RequestHead"):
        Request(head, None, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("call", ["environ", "serve"])
@pytest.mark.parametrize("w, r", [(None, None), (object(), None)])
def test_wsgi_handler_needs_a_writer_and_a_request(call: str, w: object, r: object) -> None:
    h = WSGIHandler(lambda environ, start_response: [])
    with pytest.raises(TypeError):
        if call == "environ":
            h.environ(w, r)  # type: ignore[arg-type]
        else:
            h(w, r)  # type: ignore[arg-type]
