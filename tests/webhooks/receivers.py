"""Raw HTTP receivers on loopback that answer as an attacker would: a huge body, a trickle.
Raw asyncio streams, so the test decides every byte and sees when the client hangs up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

Answer = Callable[[asyncio.StreamWriter], Awaitable[None]]
CHUNK = b"x" * 1_048_576


@dataclass
class RawReceiver:
    answer: Answer
    # The headers (lower-case names) of each request received.
    requests: list[dict[str, str]] = field(default_factory=list)
    hung_up: int = 0  # answers cut short by the client
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")[1:]
            headers = {
                k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines if ln)
            }
            await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(headers)
            await self.answer(writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.hung_up += 1
        finally:
            writer.close()
            self._handlers.discard(task)

    @asynccontextmanager
    async def serving(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[int]:
        server = await asyncio.start_server(self._handle, host, port)
        bound: int = server.sockets[0].getsockname()[1]
        async with server:
            try:
                yield bound
            finally:
                server.close()
                for handler in list(self._handlers):  # a trickle never ends by itself
                    handler.cancel()
                await asyncio.gather(*self._handlers, return_exceptions=True)


def ok(status: int = 200, body: bytes = b"ok") -> Answer:
    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    return answer


def huge(megabytes: int) -> Answer:
    """A 200 whose body is `megabytes` MB, written as fast as the client reads."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(
            f"HTTP/1.1 200 OK\r\nContent-Length: {megabytes * len(CHUNK)}\r\n\r\n".encode()
        )
        for _ in range(megabytes):
            writer.write(CHUNK)
            await writer.drain()

    return answer


def trickle(every_seconds: float) -> Answer:
    """A 200 whose body comes one byte at a time, forever (the attacker's side of the clock)."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while True:
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(every_seconds)

    return answer
