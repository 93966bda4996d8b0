"""Unipile's DSN, as its dashboard shows it (``api8.unipile.com:13443``) or as a URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

EXAMPLE = "api8.unipile.com:13443"
# A DNS name or an IP address (urlsplit gives IPv6 literals without their brackets).
_HOST = re.compile(r"^[a-z0-9.-]+$|^[0-9a-f:.]+$")


def normalize_dsn(dsn: str) -> str:
    """The base URL (``https://host:port``) of a DSN given as ``host:port``, ``https://...``
    or ``http://...`` (a local simulator). A pasted ``/api/v1`` suffix is dropped.

    Raises ValueError, saying what a DSN looks like, for anything else."""
    text = dsn.strip()
    if not text:
        raise ValueError(f"the Unipile DSN is empty; copy it from Unipile's dashboard ({EXAMPLE})")
    url = text if "://" in text else f"https://{text}"
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    path = path.removesuffix("/api/v1").rstrip("/")
    try:
        port = parts.port
    except ValueError:
        port = -1
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = "the scheme must be https (or http for a local simulator)"
    elif not parts.hostname or not _HOST.match(parts.hostname):
        problem = "it has no valid host name"
    elif port == -1 or (port is not None and not 0 < port < 65536):
        problem = "its port is not a number between 1 and 65535"
    elif parts.username or parts.password or parts.query or parts.fragment or path:
        problem = "it must be only a host and a port"
    if problem:
        raise ValueError(
            f"SKYLIGHT_UNIPILE_DSN {text!r} is not a Unipile DSN: {problem}. "
            f"Copy the DSN from Unipile's dashboard, e.g. {EXAMPLE} or https://{EXAMPLE}"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"
