"""Two `skylight serve` processes and a `skylight worker` on one PostgreSQL: every request may
reach either server, the worker does the background work, and nothing is done twice."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from skylight.kit.db import create_engine, create_sessionmaker
from tests.campaigns.flows import phone
from tests.factories import TenantFixture, make_tenant
from tests.ops.servers import skylight
from tests.processes import free_port, skylight_env
from tests.sandbox_flows import eventually

pytestmark = [pytest.mark.slow, pytest.mark.both_databases]


def _spawn_worker(env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "output.txt").open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "skylight", "worker"], env=env, stdout=out, stderr=out
        )


@asynccontextmanager
async def worker_process(env: dict[str, str], logs: Path) -> AsyncIterator[None]:
    popen = await asyncio.to_thread(_spawn_worker, env, logs)
    try:
        yield
    finally:
        popen.terminate()  # SIGTERM: unfinished jobs are handed back
        await asyncio.to_thread(popen.wait, 30)


async def _tenant(url: str) -> TenantFixture:
    engine = create_engine(url)
    try:
        return await make_tenant(create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def connect_whatsapp(
    connect_on: httpx.AsyncClient, scan_on: httpx.AsyncClient, phone_number: str
) -> None:
    """Connect through one server, scan through the (maybe other) one, poll the first."""
    account = (await _ok(await connect_on.post("/api/v1/channels/whatsapp/connect")))["data"]
    await _ok(
        await scan_on.post(
            f"/api/v1/sandbox/accounts/{account['account_id']}/scan",
            json={"username": phone_number},
        )
    )

    async def connected() -> bool:
        status = await connect_on.get(
            "/api/v1/channels/whatsapp/status", params={"account_id": account["account_id"]}
        )
        return bool(status.json()["data"]["completed"])

    assert await eventually(connected, bool, within=30)


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_two_servers_and_a_worker_share_the_work_without_doubling(
    fresh_database_url: str, tmp_path: Path
) -> None:
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("several processes share PostgreSQL; on SQLite one process does it all")
    tenant = await _tenant(fresh_database_url)
    sim_port, sim_key = free_port(), secrets.token_urlsafe(16)
    shared = {
        "SKYLIGHT_UNIPILE_DSN": f"http://127.0.0.1:{sim_port}",
        "SKYLIGHT_UNIPILE_API_KEY": sim_key,
        "SKYLIGHT_SANDBOX": "true",
        "SKYLIGHT_UNIPILE_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        # The servers only serve; the worker process does every background job.
        "SKYLIGHT_RUN_JOBS_IN_PROCESS": "false",
        # The test polls progress every 50 ms; the default 600/minute per key would answer 429.
        "SKYLIGHT_RATE_LIMIT_PER_KEY": "100000/minute",
        "SKYLIGHT_CAMPAIGN_RATE_WHATSAPP_PER_MINUTE": "6000",
        "SKYLIGHT_CAMPAIGN_JITTER": "0",
    }

    def env(name: str) -> dict[str, str]:
        return skylight_env(tmp_path / name, fresh_database_url, **shared)

    sim_env = skylight_env(tmp_path / "sim", SKYLIGHT_UNIPILE_API_KEY=sim_key)
    headers = tenant.headers
    async with (
        skylight(
            sim_env,
            tmp_path / "logs-sim",
            "simulator",
            "--data-dir",
            str(tmp_path / "sim"),
            port=sim_port,
        ),
        skylight(env("a"), tmp_path / "logs-a", "serve", "--no-migrate") as server_a,
        skylight(env("b"), tmp_path / "logs-b", "serve", "--no-migrate") as server_b,
        worker_process(env("w"), tmp_path / "logs-w"),
        httpx.AsyncClient(base_url=server_a.base, timeout=30, headers=headers) as a,
        httpx.AsyncClient(base_url=server_b.base, timeout=30, headers=headers) as b,
    ):
        await connect_whatsapp(a, b, "+966500000900")

        contacts = []
        for n in range(20):
            body = {"name": f"Guest {n}", "channel": "whatsapp", "phone": phone(900 + n)}
            contacts.append(
                (await _ok(await (a, b)[n % 2].post("/api/v1/contacts", json=body), 201))["data"]
            )

        # Sends through either server, each reaching Unipile once.
        for n, contact in enumerate(contacts[:10]):
            await _ok(
                await (a, b)[n % 2].post(
                    "/api/v1/messages/send",
                    json={"contact_id": contact["id"], "message": f"direct {n}"},
                ),
                201,
            )

        # Inbound: Unipile calls both servers' webhooks (each registered its own URL).
        for n in range(10):
            await _ok(
                await b.post(
                    "/api/v1/sandbox/inbound",
                    json={"channel": "whatsapp", "from": phone(990 + n), "text": f"in {n}"},
                ),
                201,
            )

        # A campaign created on one server, started on the other, sent by the worker.
        campaign = (
            await _ok(
                await b.post(
                    "/api/v1/campaigns",
                    json={
                        "name": "Both servers",
                        "channel": "whatsapp",
                        "message": "Hi {{name}}",
                        "contact_ids": [c["id"] for c in contacts[10:]],
                    },
                ),
                201,
            )
        )["data"]
        await _ok(await a.post(f"/api/v1/campaigns/{campaign['id']}/start"))

        async def progress() -> dict[str, Any]:
            data: dict[str, Any] = (await _ok(await b.get(f"/api/v1/campaigns/{campaign['id']}")))[
                "data"
            ]
            return data

        final = await eventually(progress, lambda c: c["state"] == "completed", within=60)

        async def inbound_stored() -> list[str]:
            listing = await _ok(await a.get("/api/v1/conversations", params={"per_page": 100}))
            texts: list[str] = []
            for row in listing["data"]:
                history = await _ok(
                    await b.get(
                        f"/api/v1/contacts/{row['contact_id']}/messages",
                        params={"direction": "inbound", "per_page": 100},
                    )
                )
                texts += [m["content"] for m in history["data"]]
            return texts

        inbound = await eventually(inbound_stored, lambda t: len(t) >= 10, within=30)
        sent = (await _ok(await a.get("/api/v1/sandbox/sent")))["data"]

    assert final["progress"]["sent"] == 10, final
    assert Counter(inbound) == Counter(f"in {n}" for n in range(10))  # each once
    texts = Counter(item["text"] for item in sent)
    assert sum(texts.values()) == 20, texts
    assert all(count == 1 for count in texts.values()), texts
    assert {f"direct {n}" for n in range(10)} <= set(texts)
    recipients = [
        item["attendee_provider_id"] for item in sent if not item["text"].startswith("direct")
    ]
    assert len(set(recipients)) == 10


async def test_sigterm_mid_campaign_loses_and_doubles_nothing(
    fresh_database_url: str, tmp_path: Path
) -> None:
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("separate worker processes share PostgreSQL")
    tenant = await _tenant(fresh_database_url)
    sim_port, sim_key = free_port(), secrets.token_urlsafe(16)
    shared = {
        "SKYLIGHT_UNIPILE_DSN": f"http://127.0.0.1:{sim_port}",
        "SKYLIGHT_UNIPILE_API_KEY": sim_key,
        "SKYLIGHT_SANDBOX": "true",
        "SKYLIGHT_RUN_JOBS_IN_PROCESS": "false",
        # The test polls progress every 50 ms; the default 600/minute per key would answer 429.
        "SKYLIGHT_RATE_LIMIT_PER_KEY": "100000/minute",
        # One send a second: SIGTERM lands mid-way, and the worker's 10 s grace runs out before
        # the campaign does, so its running job is cancelled and handed back.
        "SKYLIGHT_CAMPAIGN_RATE_WHATSAPP_PER_MINUTE": "60",
        "SKYLIGHT_CAMPAIGN_JITTER": "0",
    }
    sim_env = skylight_env(tmp_path / "sim", SKYLIGHT_UNIPILE_API_KEY=sim_key)
    server_env = skylight_env(tmp_path / "s", fresh_database_url, **shared)
    worker_env = skylight_env(tmp_path / "w", fresh_database_url, **shared)
    async with (
        skylight(
            sim_env,
            tmp_path / "logs-sim",
            "simulator",
            "--data-dir",
            str(tmp_path / "sim"),
            port=sim_port,
        ),
        skylight(server_env, tmp_path / "logs-s", "serve", "--no-migrate") as server,
        httpx.AsyncClient(base_url=server.base, timeout=30, headers=tenant.headers) as api,
    ):
        await connect_whatsapp(api, api, "+966500000950")
        ids = []
        for n in range(30):
            body = {"name": f"Guest {n}", "channel": "whatsapp", "phone": phone(2000 + n)}
            ids.append(
                (await _ok(await api.post("/api/v1/contacts", json=body), 201))["data"]["id"]
            )
        campaign = (
            await _ok(
                await api.post(
                    "/api/v1/campaigns",
                    json={
                        "name": "Interrupted",
                        "channel": "whatsapp",
                        "message": "Hi {{name}}",
                        "contact_ids": ids,
                    },
                ),
                201,
            )
        )["data"]
        await _ok(await api.post(f"/api/v1/campaigns/{campaign['id']}/start"))

        async def progress() -> dict[str, Any]:
            data: dict[str, Any] = (
                await _ok(await api.get(f"/api/v1/campaigns/{campaign['id']}"))
            )["data"]
            return data

        async with worker_process(worker_env, tmp_path / "logs-w1"):
            midway = await eventually(progress, lambda c: c["progress"]["sent"] >= 5, within=30)
        # SIGTERM was sent and the worker has exited: where did it leave the campaign?
        at_stop = await progress()
        assert 5 <= at_stop["progress"]["sent"] < 30, at_stop
        async with worker_process(worker_env, tmp_path / "logs-w2"):
            final = await eventually(progress, lambda c: c["state"] == "completed", within=90)
        sent = (await _ok(await api.get("/api/v1/sandbox/sent")))["data"]

    assert midway["progress"]["sent"] >= 5
    assert final["state"] == "completed", final
    assert final["progress"] == {"total": 30, "pending": 0, "sent": 30, "failed": 0, "skipped": 0}
    recipients = Counter(item["attendee_provider_id"] for item in sent)
    assert len(recipients) == 30, recipients  # none skipped
    assert set(recipients.values()) == {1}  # none doubled
    w1 = (tmp_path / "logs-w1" / "output.txt").read_text()
    assert "unfinished jobs were handed back" in w1 or "Stopped" in w1, w1
