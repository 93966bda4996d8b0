"""Webhook URLs must not reach into our own network (SSRF), unless the deployment allows it.

Two checks. At creation, the URL's shape: http(s), a fully qualified name or a public IP
written plainly. Forms that some resolvers read as an IP (`2130706433`, `0x7f000001`, `127.1`,
`0177.0.0.1`) are refused, whatever they point at, so what a user sees is what we connect to.
At delivery (see sender.py), the name is resolved once, every address checked, and the
connection made to a checked address: a second lookup (DNS rebinding) or another spelling of
the name (IDNA) never gets a say."""

from __future__ import annotations

import ipaddress
import re

import httpx

from skylight.kit.errors import Unprocessable, field_error

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain", ".lan")
# WHATWG URL: a host whose last label is a number (decimal, octal or 0x hex) is an IPv4 address.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))

PRIVATE = "Private, loopback and other non-public addresses are not allowed."
PLAIN_IP = "Write an IP address plainly (IPv4 as four decimal numbers, e.g. 203.0.113.7)."
QUALIFIED = "Use a fully qualified public host name (e.g. hooks.example.com)."


def is_public(ip: IPAddress) -> bool:
    """True for an address on the public internet. IPv6 forms that carry an IPv4 address
    (mapped, compatible, 6to4, NAT64, Teredo) are judged by the address they carry."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if int(ip) >> 32 == 0:  # ::/96: IPv4-compatible, unspecified, loopback
            return False
        if ip.sixtofour is not None:
            return is_public(ip.sixtofour)
        if ip.teredo is not None:
            return False
        if any(ip in net for net in _NAT64):
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return ip.is_global and not ip.is_multicast


def _host_problem(host: str) -> str | None:
    """Why this host may not be used, or None. `host` is as httpx sends it: lower case,
    IDNA-encoded (the name we resolve and connect to), IPv6 without brackets."""
    if "%" in host:
        return QUALIFIED
    if ":" in host:
        try:
            return None if is_public(ipaddress.IPv6Address(host)) else PRIVATE
        except ValueError:
            return PLAIN_IP
    name = host.removesuffix(".")
    labels = name.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        try:
            ip = ipaddress.IPv4Address(host)  # refuses 127.1, 0177.0.0.1, hex, a trailing dot
        except ValueError:
            return PLAIN_IP
        return None if is_public(ip) else PRIVATE
    if name == "localhost" or name.endswith(_LOCAL_SUFFIXES):
        return PRIVATE
    if len(labels) < 2 or not all(labels):
        return QUALIFIED
    return None


def check_url(url: str, *, allow_private: bool) -> str:
    """Shape checks at creation; a 422 naming the rule. Names are checked again, resolved, at
    every delivery."""
    problem = None
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        # httpx itself refuses some numeric hosts (e.g. octal); they break the same rule.
        parsed, problem = None, PLAIN_IP if "IPv4" in str(exc) else f"Not a valid URL: {exc}"
    if parsed is None:
        pass
    elif parsed.scheme not in ("https", "http"):
        problem = "Use an http or https URL."
    elif not parsed.host:
        problem = "The URL needs a host."
    elif parsed.userinfo:
        problem = "Credentials in the URL are not allowed."
    elif not allow_private:
        problem = _host_problem(parsed.raw_host.decode("ascii"))
    if problem:
        raise Unprocessable("Invalid webhook URL.", errors=field_error("url", problem))
    return url
