"""/readyz and /metrics see background work: a job due while no worker runs, and a worker whose
loop keeps failing, both make /readyz 503 naming `background`; it is ready again once work
goes on."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from skylight.jobs.repository import JobRepository
from skylight.jobs.service import enqueue
from skylight.jobs.worker import Worker
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from tests.ops.conftest import in_process, running_app
from tests.ops.test_metrics import SCRAPE, TOKEN, scrape, value
from tests.sandbox_flows import eventually


async def _ready(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/readyz")


async def test_a_job_due_with_no_worker_alive_makes_readyz_fail(
    settings: Settings, fresh_database_url: str, tmp_path: Path
) -> None:
    kind = f"test.{secrets.token_hex(3)}"
    async with (
        running_app(
            settings,
            tmp_path,
            database_url=fresh_database_url,
            run_jobs_in_process=False,
            metrics_token=SecretStr(TOKEN),
        ) as app,
        in_process(app) as client,
    ):
        before = await _ready(client)
        async with app.state.db.transaction() as session:
            await enqueue(session, kind, {}, run_at=utcnow() - timedelta(hours=1))
        stuck = await _ready(client)
        stuck_metrics = await scrape(client)

        async def done(_payload: dict[str, Any]) -> None:
            return None

        async with Worker(app.state.db, {kind: done}, poll_seconds=0.01).running():
            back = await eventually(
                lambda: _ready(client),
                lambda r: (
                    r.status_code == 200
                    and r.json()["data"]["workers"]["overdue_jobs"] == 0
                    and r.json()["data"]["workers"]["alive"] == 1
                ),
                within=30,
            )
            back_metrics = await scrape(client)

    assert before.status_code == 200, before.text
    assert before.json()["data"]["workers"]["alive"] == 0
    assert stuck.status_code == 503, stuck.text
    body = stuck.json()
    assert body["message"] == "Not ready: background."
    assert body["data"]["background"] == "stopped"
    assert body["errors"]["background"] == ["1 jobs due for over 60s and no worker is alive"]
    assert body["data"]["workers"]["overdue_jobs"] == 1
    assert body["data"]["workers"]["oldest_due_seconds"] >= 3600
    assert value(stuck_metrics, "skylight_jobs_overdue") == 1
    assert value(stuck_metrics, "skylight_workers_alive") == 0
    assert back.json()["data"]["background"] == "ok", back.text
    assert back.json()["data"]["workers"]["alive"] == 1
    assert value(back_metrics, "skylight_workers_alive") == 1
    assert value(back_metrics, "skylight_jobs_overdue") == 0
    assert SCRAPE  # the scrape used the token


async def test_a_worker_loop_failing_for_too_long_makes_readyz_fail(
    settings: Settings, fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_claim = JobRepository.claim
    broken = {"on": True}

    async def claim(self: JobRepository, *args: Any, **kwargs: Any) -> Any:
        if broken["on"] and str(self.session.get_bind().engine.url) == fresh_database_url:
            raise RuntimeError("claims keep failing")
        return await real_claim(self, *args, **kwargs)

    monkeypatch.setattr(JobRepository, "claim", claim)
    async with (
        running_app(
            settings,
            tmp_path,
            database_url=fresh_database_url,
            job_stall_seconds=0.3,
            metrics_token=SecretStr(TOKEN),
        ) as app,
        in_process(app) as client,
    ):
        failing = await eventually(lambda: _ready(client), lambda r: r.status_code == 503)
        failing_metrics = await scrape(client)
        broken["on"] = False
        back = await eventually(lambda: _ready(client), lambda r: r.status_code == 200, within=30)

    assert failing.status_code == 503, failing.text
    body = failing.json()
    assert body["data"]["background"] == "stopped"
    problems = body["errors"]["background"]
    # Others may join it (the periodic jobs due meanwhile and never claimed; on a busy machine
    # a heartbeat late by more than the 0.3 s window), but the claim loop is named.
    assert any(p.startswith("jobs.claim failing for ") for p in problems), problems
    assert any(p.endswith("(RuntimeError)") for p in problems), problems
    assert value(failing_metrics, "skylight_background_loop_up", loop="jobs.claim") == 0
    assert value(failing_metrics, "skylight_background_loop_failures", loop="jobs.claim") >= 1
    assert back.json()["data"]["background"] == "ok"
