"""A Unipile that costs next to nothing, so a send's figure is the server's alone.

Raw asyncio, HTTP/1.1 keep-alive. The two calls a send makes are answered at once with
constant JSON (fresh ids from a counter, as Unipile gives): ``POST /api/v1/chats/{id}/messages``
(MessageSent) and ``POST /api/v1/chats`` (ChatStarted). Everything else (connecting an account,
webhook registration, reconciliation) is forwarded to the simulator given by ``--forward``,
one connection per request: it is set-up traffic, never measured.

Run as ``python -m bench.fake_unipile --port N --forward http://127.0.0.1:M``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import signal
from urllib.parse import urlsplit

# Request lines: "POST /api/v1/chats/abc/messages HTTP/1.1" (a query string may follow the path).
_SEND = re.compile(rb"^POST /api/v1/chats/[^/? ]+/messages[? ]")
_START = re.compile(rb"^POST /api/v1/chats[? ]")
_ids = itertools.count(1)


def _answer(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


_STATS = re.compile(rb"^GET /__fake/stats[? ]")
counts = {"answered": 0, "forwarded": 0, "connections": 0}


def hot_answer(request_line: bytes) -> bytes | None:
    """The constant answer to a send or a chat start; None for anything else."""
    if _STATS.match(request_line):  # the bench checks the sends were answered here
        return _answer("200 OK", json.dumps(counts).encode())
    if _SEND.match(request_line):
        counts["answered"] += 1
        n = next(_ids)
        return _answer("201 Created", b'{"object":"MessageSent","message_id":"fake-msg-%d"}' % n)
    if _START.match(request_line):
        counts["answered"] += 1
        n = next(_ids)
        body = b'{"object":"ChatStarted","chat_id":"fake-chat-%d","message_id":"fake-msg-%d"}'
        return _answer("201 Created", body % (n, n))
    return None


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> bytes:
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return await reader.readexactly(length) if length else b""
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        data = await reader.readexactly(size + 2)
        if size == 0:
            return body
        body += data[:-2]


def _forwarded_head(head: bytes, host: str, body: bytes) -> bytes:
    lines = head.split(b"\r\n")
    kept = [lines[0]]
    for line in lines[1:]:
        name = line.partition(b":")[0].strip().lower()
        if line and name not in (b"connection", b"content-length", b"transfer-encoding", b"host"):
            kept.append(line)
    kept += [
        b"host: " + host.encode(),
        b"connection: close",
        b"content-length: " + str(len(body)).encode(),
    ]
    return b"\r\n".join(kept) + b"\r\n\r\n"


class FakeUnipile:
    def __init__(self, forward: str) -> None:
        url = urlsplit(forward)
        self.forward_host = url.hostname or "127.0.0.1"
        self.forward_port = url.port or 80

    async def _forward(self, head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.forward_host, self.forward_port)
        try:
            host = f"{self.forward_host}:{self.forward_port}"
            up_writer.write(_forwarded_head(head, host, body) + body)
            await up_writer.drain()
            # The simulator closes after answering (connection: close): relay until then.
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
            await writer.drain()
        finally:
            up_writer.close()

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counts["connections"] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                body = await _read_body(reader, head)
                answer = hot_answer(head.split(b"\r\n", 1)[0])
                if answer is None:
                    counts["forwarded"] += 1
                    # The client's connection ends with the forwarded answer (it said close).
                    await self._forward(head, body, writer)
                    return
                writer.write(answer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()


async def serve(port: int, forward: str) -> None:
    fake = FakeUnipile(forward)
    server = await asyncio.start_server(fake.connection, "127.0.0.1", port, backlog=512)
    try:
        async with server:
            await server.serve_forever()
    finally:
        print(f"fake Unipile: {counts}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--forward", required=True, help="The simulator, for everything else.")
    args = parser.parse_args()
    import uvloop  # uvicorn[standard] brings it: the cheapest loop there is

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(serve(args.port, args.forward))


if __name__ == "__main__":
    main()
