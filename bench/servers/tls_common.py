"""Helpers shared by the TLS echo servers: arguments, one server SSLContext for all of them.

Every TLS server takes the plain echo servers' ``--host``/``--port`` plus
``--certfile``/``--keyfile``; without them it makes a throw-away certificate
(trustme if installed, else the ``openssl`` CLI) so the suite can start it
with no extra arguments. All servers build the context the same way
(``PROTOCOL_TLS_SERVER``, OpenSSL's defaults: TLS 1.3, TLS_AES_256_GCM_SHA384
with the load generator), so they differ only in their I/O model.
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path


def add_tls_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--certfile", help="PEM certificate chain (default: a throw-away one)")
    parser.add_argument("--keyfile", help="PEM private key (default: in --certfile)")


def server_context(args: argparse.Namespace,
                   context_class: type[ssl.SSLContext] = ssl.SSLContext) -> ssl.SSLContext:
    """The server context; gevent passes its own ``gevent.ssl.SSLContext`` class."""
    certfile, keyfile = args.certfile, args.keyfile
    if not certfile:
        certfile, keyfile = throwaway_cert()
    ctx = context_class(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    return ctx


def throwaway_cert() -> tuple[str, str]:
    d = Path(tempfile.mkdtemp(prefix="tls-bench-"))
    atexit.register(shutil.rmtree, d, True)
    cert, key = d / "cert.pem", d / "key.pem"
    try:
        import trustme

        leaf = trustme.CA().issue_cert("localhost", "127.0.0.1")
        leaf.private_key_pem.write_to_path(str(key))
        cert.write_bytes(b"".join(b.bytes() for b in leaf.cert_chain_pems))
    except ImportError:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
    return str(cert), str(key)
