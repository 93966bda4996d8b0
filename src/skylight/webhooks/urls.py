"""Webhook URLs must not point into our own network (SSRF), unless the deployment allows it."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from skylight.kit.errors import Unprocessable, field_error


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> str:
    """Shape checks at creation: http(s), a host, no credentials, no private IP literal."""
    parts = urlsplit(url)
    problem = None
    if parts.scheme not in ("https", "http"):
        problem = "Use an http or https URL."
    elif not parts.hostname:
        problem = "The URL needs a host."
    elif parts.username or parts.password:
        problem = "Credentials in the URL are not allowed."
    elif not allow_private:
        host = parts.hostname
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            problem = "Private and loopback addresses are not allowed."
        else:
            try:
                if _private(host):
                    problem = "Private and loopback addresses are not allowed."
            except ValueError:
                pass  # a name: resolved and checked again at delivery time
    if problem:
        raise Unprocessable("Invalid webhook URL.", errors=field_error("url", problem))
    return url


async def resolves_to_private(url: str) -> bool:
    """At delivery time: a name that resolves into a private network is refused (rebinding)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False  # unresolvable: the request itself will fail and be retried
    return any(_private(str(info[4][0])) for info in infos)
