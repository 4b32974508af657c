"""Real frameworks served by ``python -m gonet serve``, fetched with requests.

Flask: routes, a form POST, a streaming response (a generator, chunked), a
file download through ``send_file`` (``wsgi.file_wrapper``). Django: a
minimal project configured in code (``settings.configure``, one
urlpattern, a view, ``get_wsgi_application``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import requests

from http_ops_support import serve, write_app

pytest.importorskip("flask", reason="flask is in the test extra")

FLASK_APP = '''
import os
from flask import Flask, Response, request, send_file, stream_with_context

HERE = os.path.dirname(os.path.abspath(__file__))

def create_app(title="gonet-flask"):
    app = Flask(__name__)

    @app.get("/")
    def index():
        return f"<h1>{title}</h1>"

    @app.get("/user/<name>")
    def user(name):
        return {"user": name, "args": request.args.to_dict()}

    @app.post("/form")
    def form():
        return {"fields": request.form.to_dict(), "len": request.content_length}

    @app.get("/stream")
    def stream():
        def gen():
            for i in range(100):
                yield f"line {i}\\n"
        return Response(stream_with_context(gen()), mimetype="text/plain")

    @app.get("/download")
    def download():
        return send_file(os.path.join(HERE, "blob.bin"), as_attachment=True,
                         download_name="blob.bin")

    return app
'''

DJANGO_APP = '''
import django
from django.conf import settings

settings.configure(
    DEBUG=False, SECRET_KEY="test-only-not-secret", ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"], MIDDLEWARE=[], INSTALLED_APPS=[],
)
django.setup()

from django.http import HttpResponse, JsonResponse
from django.urls import path

def hello(request, name):
    return JsonResponse({"hello": name, "method": request.method,
                         "q": request.GET.get("q"), "remote": request.META["REMOTE_ADDR"]})

def echo(request):
    return HttpResponse(request.body[::-1], content_type="application/octet-stream")

urlpatterns = [path("hello/<str:name>", hello), path("echo", echo)]

from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
'''


@pytest.mark.timeout(60)
def test_flask_app(tmp_path: Path) -> None:
    write_app(tmp_path, "flaskapp", FLASK_APP)
    blob = os.urandom(3 * 1024 * 1024 + 17)
    (tmp_path / "blob.bin").write_bytes(blob)
    with serve("flaskapp:create_app('served by gonet')", "--bind", "127.0.0.1:0",
               cwd=tmp_path) as srv, requests.Session() as s:
        r = s.get(srv.url + "/", timeout=10)
        assert r.status_code == 200 and r.text == "<h1>served by gonet</h1>"
        assert r.headers["Content-Type"].startswith("text/html")
        assert s.get(srv.url + "/user/ada?x=1", timeout=10).json() == {
            "user": "ada", "args": {"x": "1"}}
        r = s.post(srv.url + "/form", data={"a": "1", "b": "two words"}, timeout=10)
        assert r.json() == {"fields": {"a": "1", "b": "two words"}, "len": len("a=1&b=two+words")}
        r = s.get(srv.url + "/stream", timeout=10, stream=True)
        assert r.headers.get("Transfer-Encoding") == "chunked"
        assert r.text == "".join(f"line {i}\n" for i in range(100))
        r = s.get(srv.url + "/download", timeout=30)
        assert r.status_code == 200
        assert r.headers["Content-Disposition"].startswith("attachment")
        assert int(r.headers["Content-Length"]) == len(blob)
        assert hashlib.sha256(r.content).digest() == hashlib.sha256(blob).digest()
        assert s.get(srv.url + "/nope", timeout=10).status_code == 404
        assert srv.stop() == 0


@pytest.mark.timeout(60)
def test_django_project_configured_in_code(tmp_path: Path) -> None:
    pytest.importorskip("django", reason="django is in the test extra")
    write_app(tmp_path, "djangoapp", DJANGO_APP)
    with serve("djangoapp:application", "--bind", "127.0.0.1:0", cwd=tmp_path) as srv, \
            requests.Session() as s:
        r = s.get(srv.url + "/hello/world?q=42", timeout=10)
        assert r.status_code == 200
        assert r.json() == {"hello": "world", "method": "GET", "q": "42", "remote": "127.0.0.1"}
        body = os.urandom(200_000)
        r = s.post(srv.url + "/echo", data=body, timeout=10)
        assert r.status_code == 200 and r.content == body[::-1]
        assert s.get(srv.url + "/missing", timeout=10).status_code == 404
        assert srv.stop() == 0
