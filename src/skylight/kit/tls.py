"""One TLS context per process for our HTTP clients.

httpx builds a new SSLContext for every client, and loading the CA bundle into it costs tens of
milliseconds of CPU each time. The server makes several clients per app (Unipile, the webhook
sender, the embedded simulator's own), and the test suite makes thousands of apps: those
contexts were about 4% of its samples. A context is safe to share between clients and their
connections (each connection still checks its own host name); we never turn on HTTP/2, so
httpcore sets the same ALPN list on it every time."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def client_tls(*, trust_env: bool = True) -> ssl.SSLContext:
    """What httpx would build for `verify=True` (with `trust_env`: SSL_CERT_FILE and
    SSL_CERT_DIR are honoured, as a client made with `trust_env=True` does), built once."""
    return httpx.create_ssl_context(trust_env=trust_env)
