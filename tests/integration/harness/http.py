"""HTTP requests to a test server, and the TLS material it serves."""

import collections
import fcntl
import http.client
import os
import socket
import ssl as _ssl
import subprocess

from .common import (HarnessError, build_dir, itest_dir, timeout)

# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

Response = collections.namedtuple("Response", "status headers body")
Response.__doc__ = ("HTTP answer: status int, headers (http.client.HTTPMessage, "
                    "case-insensitive .get), body str (utf-8, errors replaced).")


def _http_get(port, path="/", tls=False, timeout=5.0, host="127.0.0.1"):
    if tls:
        ctx = _ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = _ssl.CERT_NONE
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        body = resp.read()
        return Response(resp.status, resp.msg, body.decode("utf-8", "replace"))
    finally:
        conn.close()


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# TLS material (once per build dir)
# --------------------------------------------------------------------------

def _ssl_material():
    d = os.path.join(itest_dir(), "_ssl")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (os.path.isfile(cert) and os.path.isfile(key)):
            tcert, tkey = cert + ".tmp", key + ".tmp"
            r = subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                 "-days", "3650", "-subj", "/CN=localhost",
                 "-addext", "basicConstraints=critical,CA:FALSE",
                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                 "-keyout", tkey, "-out", tcert],
                capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise HarnessError("openssl req failed:\n" + r.stderr)
            os.chmod(tkey, 0o600)
            os.rename(tkey, key)
            os.rename(tcert, cert)
    return cert, key
