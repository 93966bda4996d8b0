"""Real `skylight` processes on loopback ports, for the tests of several processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.processes import free_port


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    base: str
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()


async def wait_healthy(process: Process, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            if process.popen.poll() is not None:
                raise AssertionError(f"exited early:\n{process.output()}")
            try:
                if (await http.get(f"{process.base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"not healthy in {within}s:\n{process.output()}")
            await asyncio.sleep(0.1)


async def stop(process: Process, within: float = 30.0) -> int:
    """SIGTERM, then wait (in a thread: the test's event loop keeps serving meanwhile)."""
    if process.popen.poll() is None:
        process.popen.terminate()
    return await asyncio.to_thread(process.popen.wait, within)


def _spawn(env: dict[str, str], logs: Path, args: list[str]) -> Process:
    logs.mkdir(parents=True, exist_ok=True)
    stdout, stderr = logs / "stdout.txt", logs / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        popen = subprocess.Popen(
            [sys.executable, "-m", "skylight", *args], env=env, stdout=out, stderr=err
        )
    port = args[args.index("--port") + 1]
    return Process(popen, f"http://127.0.0.1:{port}", stdout, stderr)


@asynccontextmanager
async def skylight(
    env: dict[str, str], logs: Path, *args: str, port: int | None = None
) -> AsyncIterator[Process]:
    """`skylight <args> --port P` running until the block ends; healthy when yielded if it is
    a server (`serve`), merely started otherwise."""
    port = port or free_port()
    process = await asyncio.to_thread(_spawn, env, logs, [*args, "--port", str(port)])
    try:
        if args[0] == "serve":
            await wait_healthy(process)
        yield process
    finally:
        if process.popen.poll() is None:
            process.popen.kill()
            await asyncio.to_thread(process.popen.wait, 30)
