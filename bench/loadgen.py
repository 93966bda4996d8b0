"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams.

httpx costs a few hundred microseconds of CPU per request; on a two-core machine shared with
the server and the simulator that would be measured as the server's. This client does little
more than write bytes and read Content-Length bodies, so most of the CPU is left to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    label: str = ""


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, request: Request, limit: float) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = b"" if request.body is None else json.dumps(request.body).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in request.headers)
        head = (
            f"{request.method} {request.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"{self.fixed}{extra}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        try:
            async with asyncio.timeout(limit):
                return await self._read(self.reader)
        except BaseException:
            await self.close()
            raise

    async def _read(self, reader: asyncio.StreamReader) -> Response:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        body = await reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return Response(status, body)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    by_label: dict[str, Stats] = field(default_factory=dict)

    def record(self, label: str, latency: float, status: str, error: str | None) -> None:
        targets = [self]
        if label:
            targets.append(self.by_label.setdefault(label, Stats()))
        for stats in targets:
            stats.latencies.append(latency)
            stats.statuses[status] += 1
            if error is not None:
                stats.errors.append(error)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        """Milliseconds, nearest-rank."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)


# Decides whether a response is what this request should get; returns an error text if not.
Check = Callable[[Request, Response], str | None]


def expect_2xx(request: Request, response: Response) -> str | None:
    if 200 <= response.status < 300:
        return None
    return f"{request.method} {request.path}: {response.status} {response.body[:300]!r}"


async def run(
    base_url: str,
    make: Callable[[int], Request],
    *,
    concurrency: int,
    total: int | None = None,
    duration: float | None = None,
    headers: dict[str, str] | None = None,
    check: Check = expect_2xx,
    request_timeout: float = 60.0,
    on_response: Callable[[Request, Response], None] | None = None,
) -> Stats:
    """`concurrency` clients, each one connection, until `total` requests or `duration` s.
    `make(i)` builds request number i. Per-request latencies, status counts and errors."""
    if total is None and duration is None:
        raise ValueError("give total or duration")
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    stats = Stats()
    counter = iter(range(total if total is not None else 1 << 62))
    started = time.perf_counter()
    deadline = started + duration if duration is not None else None

    async def client() -> None:
        conn = Connection(host, port, headers or {})
        try:
            for i in counter:
                if deadline is not None and time.perf_counter() >= deadline:
                    return
                request = make(i)
                t0 = time.perf_counter()
                try:
                    response = await conn.request(request, request_timeout)
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                    error = f"{request.method} {request.path}: {exc!r}"
                    stats.record(request.label, time.perf_counter() - t0, "transport", error)
                    continue
                latency = time.perf_counter() - t0
                stats.record(request.label, latency, str(response.status), check(request, response))
                if on_response is not None:
                    on_response(request, response)
        finally:
            await conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    stats.elapsed = time.perf_counter() - started
    return stats
