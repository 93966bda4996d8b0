"""The must-show: a 1,000-recipient campaign in the sandbox survives `kill -9` of the server,
twice, mid-way, and ends with exactly 1,000 messages at the simulated Unipile.

A real `skylight serve` on SQLite with its own data directory and a fixed port; its embedded
simulator keeps its state in the data directory, so it survives the kills too. Pacing is sped
up by configuration (3,000/minute)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.campaigns.flows import phone
from tests.processes import free_port, skylight_env

pytestmark = [pytest.mark.slow, pytest.mark.both_databases]

RECIPIENTS = 1000
KILL_AT = (300, 650)
FAST = {
    "SKYLIGHT_CAMPAIGN_RATE_WHATSAPP_PER_MINUTE": "3000",
    "SKYLIGHT_CAMPAIGN_JITTER": "0.2",
    "SKYLIGHT_CAMPAIGN_SEND_TIMEOUT_SECONDS": "2",
    "SKYLIGHT_CAMPAIGN_RECHECK_SECONDS": "0.5",
    # A killed server's job is taken over this soon after the restart.
    "SKYLIGHT_JOB_LEASE_SECONDS": "6",
    "SKYLIGHT_SIMULATOR_CONNECT_DELAY_SECONDS": "0.2",
    "SKYLIGHT_SIMULATOR_WEBHOOK_RETRY_BASE_SECONDS": "0.1",
    "SKYLIGHT_RATE_LIMIT_PER_KEY": "1000000/minute",
    "SKYLIGHT_LOG_LEVEL": "WARNING",
}
Json = dict[str, Any]


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = skylight_env(data_dir, SKYLIGHT_PUBLIC_URL=self.base, **FAST)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log(self) -> Path:
        return self.data_dir / f"server-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "skylight",
                    "serve",
                    "--bootstrap",
                    "--port",
                    str(self.port),
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def key(self, within: float = 30.0) -> str:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = re.search(r"(sk_test_[A-Za-z0-9_-]+)", self.log.read_text(errors="replace"))
            if found:
                return found.group(1)
            self.alive()
            time.sleep(0.05)
        raise AssertionError(f"no key printed:\n{self.tail()}")

    def alive(self) -> None:
        assert self.process is not None
        assert self.process.poll() is None, f"the server exited:\n{self.tail()}"

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


@contextmanager
def server(data_dir: Path) -> Iterator[Server]:
    running = Server(data_dir)
    try:
        yield running
    finally:
        running.stop()


def until(probe: Callable[[], Any], ok: Callable[[Any], bool], within: float, srv: Server) -> Any:
    """Poll (bounded) until ok(probe()); connection errors while the server starts are waited
    out."""
    deadline = time.monotonic() + within
    value: Any = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if ok(value):
                return value
        except httpx.TransportError:
            srv.alive()
        time.sleep(0.1)
    raise AssertionError(f"not reached in {within}s (last: {value}):\n{srv.tail()}")


def test_a_1000_recipient_campaign_survives_two_kill_9s_with_each_sent_once(
    tmp_path: Path,
) -> None:
    with server(tmp_path) as srv:
        srv.start()
        key = srv.key()
        headers = {"X-Api-Key": key}
        http = httpx.Client(base_url=srv.base, headers=headers, timeout=10)

        def campaign(campaign_id: int) -> Json:
            response = http.get(f"/api/v1/campaigns/{campaign_id}")
            assert response.status_code == 200, response.text
            data: Json = response.json()["data"]
            return data

        until(lambda: http.get("/api/v1/contacts").status_code, lambda s: s == 200, 30, srv)
        connect = http.post("/api/v1/channels/whatsapp/connect")
        account_id = connect.json()["data"]["account_id"]
        scanned = http.post(
            f"/api/v1/sandbox/accounts/{account_id}/scan", json={"username": "+966500000999"}
        )
        assert scanned.status_code == 200, scanned.text
        until(
            lambda: http.get("/api/v1/channels/whatsapp/status").json()["data"]["sync_status"],
            # Healthy: the sandbox's first sync ends at SYNC_SUCCESS (channels.types.HEALTHY).
            lambda s: s in ("OK", "SYNC_SUCCESS"),
            20,
            srv,
        )

        def contact(n: int) -> int:
            body = {"name": f"Customer {n}", "channel": "whatsapp", "phone": phone(n)}
            return http.post("/api/v1/contacts", json=body).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(contact, range(1, RECIPIENTS + 1))) == {201}

        created = http.post(
            "/api/v1/campaigns",
            json={
                "name": "Crash test",
                "channel": "whatsapp",
                "message": "Hello {{name}}",
                "filter": {},
            },
        )
        assert created.status_code == 201, created.text
        campaign_id = created.json()["data"]["id"]
        assert created.json()["data"]["progress"]["total"] == RECIPIENTS
        assert http.post(f"/api/v1/campaigns/{campaign_id}/start").status_code == 200

        for mark in KILL_AT:

            def reached(c: Json, mark: int = mark) -> bool:
                return int(c["progress"]["sent"]) >= mark

            until(lambda: campaign(campaign_id), reached, 60, srv)
            srv.kill()
            srv.start()

        done = until(lambda: campaign(campaign_id), lambda c: c["state"] == "completed", 90, srv)
        assert done["progress"] == {
            "total": RECIPIENTS,
            "pending": 0,
            "sent": RECIPIENTS,
            "failed": 0,
            "skipped": 0,
        }
        sent = http.get("/api/v1/sandbox/sent").json()["data"]
        assert len(sent) == RECIPIENTS
        assert len({s["attendee_provider_id"] for s in sent}) == RECIPIENTS
        assert {s["text"] for s in sent} == {
            f"Hello Customer {n}" for n in range(1, RECIPIENTS + 1)
        }
        assert srv.starts == 3
        http.close()
