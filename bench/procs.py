"""Real processes on loopback ports: the Unipile simulator, `skylight serve` and the floor app.

Each is a subprocess with its output in a log file (never a pipe that could fill up), started
and stopped by the bench that owns it, and killed if it outlives its welcome."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PYTHON = sys.executable
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105 - a loopback-only test secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_bytes(pid: int) -> int:
    """Resident set size from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    base_url: str

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen.poll() is not None:
            return
        # uvicorn re-raises SIGTERM once it has stopped, which would end cProfile unwritten.
        profiled = self.name == "server" and "BENCH_CPROFILE" in os.environ
        self.popen.send_signal(signal.SIGINT if profiled else signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def kill9(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)


def _spawn(name: str, args: list[str], env: dict[str, str], log: Path, base: str) -> Process:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        popen = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Process(name=name, popen=popen, log=log, base_url=base)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYLIGHT_")}
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def wait_http(
    process: Process, path: str, *, within: float = 60.0, headers: dict[str, str] | None = None
) -> None:
    deadline = time.monotonic() + within
    while True:
        if not process.alive():
            raise RuntimeError(
                f"{process.name} exited during start-up:\n{process.output()[-3000:]}"
            )
        try:
            response = httpx.get(process.base_url + path, headers=headers, timeout=2)
            if response.status_code < 500:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.stop()
            raise RuntimeError(
                f"{process.name} not ready in {within}s:\n{process.output()[-3000:]}"
            )
        time.sleep(0.1)


@dataclass
class Simulator:
    process: Process
    api_key: str
    data_dir: Path

    @property
    def dsn(self) -> str:
        return self.process.base_url


def start_simulator(data_dir: Path, *, echo: bool = True, port: int = 0) -> Simulator:
    port = port or free_port()
    api_key = secrets.token_urlsafe(16)
    args = [PYTHON, "-m", "bench.simulator", "--port", str(port), "--data-dir", str(data_dir)]
    if not echo:
        args.append("--no-echo")
    process = _spawn(
        "simulator",
        args,
        _clean_env(SKYLIGHT_UNIPILE_API_KEY=api_key),
        data_dir / "simulator.log",
        f"http://127.0.0.1:{port}",
    )
    wait_http(process, "/api/v1/accounts", headers={"X-API-KEY": api_key})
    return Simulator(process=process, api_key=api_key, data_dir=data_dir)


def start_fake_unipile(simulator: Simulator, data_dir: Path) -> Simulator:
    """bench/fake_unipile.py in front of the simulator: sends answered at once, the rest
    forwarded. Returned as an upstream a server or a floor can be pointed at."""
    port = free_port()
    process = _spawn(
        "fake-unipile",
        [PYTHON, "-m", "bench.fake_unipile", "--port", str(port), "--forward", simulator.dsn],
        _clean_env(),
        data_dir / "fake-unipile.log",
        f"http://127.0.0.1:{port}",
    )
    wait_http(process, "/api/v1/accounts", headers={"X-API-KEY": simulator.api_key})
    return Simulator(process=process, api_key=simulator.api_key, data_dir=data_dir)


def start_floor(database_url: str, upstream: Simulator, work: Path) -> Process:
    """bench/floor.py: the least a send and an inbound webhook can do, on the same database
    and upstream as the server it is compared with."""
    port = free_port()
    args = [PYTHON, "-m", "bench.floor", "--port", str(port), "--database-url", database_url]
    args += ["--dsn", upstream.dsn, f"--api-key={upstream.api_key}"]  # a key may begin with "-"
    process = _spawn(
        "floor",
        [*args, "--webhook-secret", WEBHOOK_SECRET],
        _clean_env(),
        work / "floor.log",
        f"http://127.0.0.1:{port}",
    )
    wait_http(process, "/docs-none")
    return process


@dataclass
class Server:
    process: Process
    key: str
    data_dir: Path
    database_url: str
    port: int
    env: dict[str, str] = field(repr=False)

    @property
    def base_url(self) -> str:
        return self.process.base_url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def server_env(
    data_dir: Path, database_url: str, port: int, simulator: Simulator | None, **extra: str
) -> dict[str, str]:
    env = _clean_env(
        SKYLIGHT_DATA_DIR=str(data_dir),
        SKYLIGHT_DATABASE_URL=database_url,
        SKYLIGHT_HOST="127.0.0.1",
        SKYLIGHT_PORT=str(port),
        SKYLIGHT_LOG_LEVEL="WARNING",  # no access log: it would be most of the work measured
        SKYLIGHT_UNIPILE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        SKYLIGHT_SIMULATOR_CONNECT_DELAY_SECONDS="0.2",
        # The benches measure the server, not its rate limiter.
        SKYLIGHT_RATE_LIMIT_PER_KEY="1000000/second",
        SKYLIGHT_RATE_LIMIT_FAILED_AUTH_PER_IP="1000000/second",
    )
    if simulator is not None:
        # External sandbox: the simulator in its own process, so it does not share our CPU.
        env.update(
            SKYLIGHT_UNIPILE_DSN=simulator.dsn,
            SKYLIGHT_UNIPILE_API_KEY=simulator.api_key,
            SKYLIGHT_SANDBOX="true",
        )
    env.update(extra)
    return env


def start_server(
    data_dir: Path,
    database_url: str,
    simulator: Simulator | None,
    *,
    port: int = 0,
    key: str | None = None,
    workers: int = 1,
    **extra: str,
) -> Server:
    """`skylight serve --bootstrap`; the key it prints is used unless one is given (restart)."""
    port = port or free_port()
    env = server_env(data_dir, database_url, port, simulator, **extra)
    log = data_dir / "server.log"
    offset = log.stat().st_size if log.exists() else 0
    process = _spawn(
        "server",
        [
            PYTHON,
            # BENCH_CPROFILE=file: the server under cProfile (exact calls; slow), written at exit.
            *(
                ("-m", "cProfile", "-o", os.environ["BENCH_CPROFILE"])
                if "BENCH_CPROFILE" in os.environ
                else ()
            ),
            *("-m", "skylight", "serve", "--bootstrap", "--port", str(port)),
            *(("--workers", str(workers)) if workers > 1 else ()),
        ],
        env,
        log,
        f"http://127.0.0.1:{port}",
    )
    if key is None:
        key = _printed_key(process, offset)
    wait_http(process, "/api/v1/contacts", headers={"Authorization": f"Bearer {key}"})
    return Server(process, key, data_dir, database_url, port, env)


def restart_server(server: Server) -> Server:
    port = server.port
    log = server.data_dir / "server.log"
    process = _spawn(
        "server",
        [PYTHON, "-m", "skylight", "serve", "--port", str(port)],
        server.env,
        log,
        server.base_url,
    )
    wait_http(process, "/api/v1/contacts", headers={"Authorization": f"Bearer {server.key}"})
    return Server(process, server.key, server.data_dir, server.database_url, port, server.env)


def _printed_key(process: Process, offset: int, within: float = 60.0) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = re.search(r"(sk_test_[A-Za-z0-9_-]+)", process.output()[offset:])
        if found:
            return found.group(1)
        if not process.alive():
            break
        time.sleep(0.1)
    process.stop()
    raise RuntimeError(f"the server printed no key:\n{process.output()[-3000:]}")


@contextmanager
def running(*processes: Process) -> Iterator[None]:
    try:
        yield
    finally:
        for process in reversed(processes):
            process.stop()
