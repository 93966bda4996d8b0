"""The one HTTP client of every webhook delivery, and what bounds an attempt.

- One deadline for the whole attempt (lookup, connect, send, answer): a receiver that trickles
  its answer cannot hold a job slot longer than that.
- At most `RESPONSE_LIMIT` bytes of the answer are read, for the delivery log; the rest is
  never read (the connection is closed), so a huge answer costs nothing.
- The name is resolved once and every address checked (urls.is_public); the connection goes to
  a checked address, with the original Host header and TLS server name.
- No redirects, no proxies from the environment, no keep-alive (a pooled connection chosen by
  IP could carry another host's request)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from skylight.kit.settings import Settings
from skylight.kit.tls import client_tls
from skylight.webhooks.urls import IPAddress, is_public

RESPONSE_LIMIT = 4096
# (host, port) -> addresses, in the order to try them.
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class Refused(Exception):
    """The URL may not be called (not a public address)."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response_body: str | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])  # no IPv6 zone ids
        if ip not in addresses:
            addresses.append(ip)
    return addresses


class WebhookSender:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        deadline_seconds: float,
        allowed: Callable[[IPAddress], bool] = is_public,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.http = http
        self.deadline = deadline_seconds
        self.allowed = allowed
        self.resolver = resolver

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        started = time.monotonic()

        def outcome(status: int | None, answer: bytes | None, error: str | None) -> Outcome:
            elapsed = int((time.monotonic() - started) * 1000)
            text = None if answer is None else answer.decode(errors="replace").replace("\0", "")
            return Outcome(status, text, error, elapsed)

        status: int | None = None
        answer = bytearray()
        try:
            async with asyncio.timeout(self.deadline):
                target = httpx.URL(url)
                addresses = await self._addresses(target)
                for number, address in enumerate(addresses, start=1):
                    try:
                        async with self._stream(target, address, body, headers) as response:
                            status = response.status_code
                            await _read_some(response, answer)
                        break
                    except httpx.ConnectError:
                        if number == len(addresses):
                            raise  # else another checked address of the name may answer
        except Refused as exc:
            return outcome(None, None, str(exc))
        except TimeoutError:
            return outcome(status, bytes(answer), f"No complete answer within {self.deadline:g} s.")
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return outcome(status, None, f"{type(exc).__name__}: {exc}"[:500])
        assert status is not None
        redirect = 300 <= status < 400 and status != 304
        return outcome(status, bytes(answer), "Redirects are not followed." if redirect else None)

    async def _addresses(self, url: httpx.URL) -> list[IPAddress]:
        """The addresses to try, each one allowed; resolved once, here."""
        host = url.raw_host.decode("ascii")
        try:
            found: list[IPAddress] = [ipaddress.ip_address(host)]
        except ValueError:
            found = await self.resolver(host, url.port or _default_port(url))
        if not found:
            raise Refused(f"{host} has no address.")
        if not all(self.allowed(ip) for ip in found):
            raise Refused("Refused: the URL resolves to a private or non-public address.")
        return found

    @asynccontextmanager
    async def _stream(
        self, url: httpx.URL, address: IPAddress, body: bytes, headers: dict[str, str]
    ) -> AsyncIterator[httpx.Response]:
        # To the checked address, with the name the user gave for Host and for TLS (SNI and
        # the certificate check).
        headers = {**headers, "Host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": url.raw_host.decode("ascii")}
        request = self.http.build_request(
            "POST",
            url.copy_with(host=str(address)),
            content=body,
            headers=headers,
            extensions=extensions,
        )
        response = await self.http.send(request, stream=True)
        try:
            yield response
        finally:
            await response.aclose()  # closes the connection: the rest is never read


async def _read_some(response: httpx.Response, into: bytearray) -> None:
    """Up to RESPONSE_LIMIT bytes as they came (no decompression: Accept-Encoding is
    identity); what follows is left unread."""
    async for chunk in response.aiter_raw():
        into += chunk[: RESPONSE_LIMIT - len(into)]
        if len(into) >= RESPONSE_LIMIT:
            return


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


@asynccontextmanager
async def webhook_sender(settings: Settings) -> AsyncIterator[WebhookSender]:
    """The process's sender; its client's own timeouts are the deadline too (the deadline
    bounds the sum)."""
    async with httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds,
        follow_redirects=False,
        trust_env=False,
        verify=client_tls(trust_env=False),
        headers={"Accept-Encoding": "identity"},
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=0),
    ) as http:
        yield WebhookSender(
            http,
            deadline_seconds=settings.webhook_timeout_seconds,
            allowed=_anything if settings.webhook_allow_private_urls else is_public,
        )


def _anything(_ip: IPAddress) -> bool:
    return True
