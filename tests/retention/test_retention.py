"""Retention: every table that grows with use is cut back to its window, in batches, and rows
that must stay (failed deliveries for the log, live jobs, recent rows) stay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bench.retention import simulate
from sqlalchemy import func, select

from skylight.contacts.models import ContactImport
from skylight.events.models import Event
from skylight.idempotency.models import IdempotencyKey
from skylight.inbound.models import InboxEntry
from skylight.jobs.models import Job, JobState
from skylight.kit.db import Database, create_engine
from skylight.kit.settings import Settings
from skylight.retention.service import purge
from skylight.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from skylight.workspaces.models import Workspace
from tests.databases import fresh_postgres_database, sqlite_url
from tests.ops.conftest import migrate

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
async def own_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database of the run's kind all to itself: retention spans every workspace."""
    if database_url.startswith("sqlite"):
        url = sqlite_url(tmp_path)
        await migrate(url)
        yield url
        return
    async with fresh_postgres_database() as url:
        await migrate(url)
        yield url


@pytest.fixture
async def own_db(own_url: str) -> AsyncIterator[Database]:
    db = Database(create_engine(own_url))
    yield db
    await db.dispose()


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def _count(db: Database, table: type, *where: object) -> int:
    async with db.read() as session:
        found = await session.scalar(select(func.count()).select_from(table).where(*where))  # type: ignore[arg-type]
        return int(found or 0)


async def test_each_table_keeps_its_window_and_what_must_stay(own_db: Database) -> None:
    db = own_db
    async with db.transaction() as session:
        workspace = Workspace(name="Kept", slug="kept")
        session.add(workspace)
        await session.flush()
        endpoint = WebhookEndpoint(
            workspace_id=workspace.id, url="https://example.test/", event_types='["*"]',
            secret="s", description=None,
        )  # fmt: skip
        session.add(endpoint)
        await session.flush()
        events = {}
        for name, age in [("ancient", 40), ("old_a", 10), ("old_b", 10), ("recent", 1)]:
            event = Event(workspace_id=workspace.id, type="t", data="{}", created_at=days_ago(age))
            session.add(event)
            await session.flush()
            events[name] = event.id
        deliveries = [
            # (event, state, age): delivered long ago goes; a failed one stays for the log.
            ("ancient", DeliveryState.SUCCEEDED, 40),
            ("old_a", DeliveryState.SUCCEEDED, 10),
            ("old_b", DeliveryState.FAILED, 10),
            ("recent", DeliveryState.SUCCEEDED, 1),
        ]
        for event_name, state, age in deliveries:
            delivery = WebhookDelivery(
                endpoint_id=endpoint.id, event_id=events[event_name], state=state,
                created_at=days_ago(age), updated_at=days_ago(age),
            )  # fmt: skip
            session.add(delivery)
            await session.flush()
            for _ in range(2):
                session.add(
                    WebhookAttempt(
                        delivery_id=delivery.id, status_code=200, response_body="", error=None,
                        duration_ms=1, created_at=days_ago(age),
                    )
                )  # fmt: skip
        for n, age in enumerate([8, 8, 8, 6, 1]):
            session.add(
                InboxEntry(dedupe_key=f"k{n}", account_id="a", event="e", received_at=days_ago(age))
            )
        for n, hours in enumerate([25, 30, 23, 1]):
            session.add(
                IdempotencyKey(
                    workspace_id=workspace.id, key=f"i{n}", fingerprint="f",
                    created_at=NOW - timedelta(hours=hours),
                )
            )  # fmt: skip
        for state, finished in [
            (JobState.FAILED, days_ago(8)),
            (JobState.FAILED, days_ago(2)),
            (JobState.QUEUED, None),  # live work is never retention's business
        ]:
            session.add(
                Job(
                    kind="k", payload="{}", state=state, run_at=days_ago(9),
                    created_at=days_ago(9), finished_at=finished,
                )
            )  # fmt: skip

        for state, age in [("completed", 40), ("failed", 31), ("running", 40), ("completed", 5)]:
            session.add(
                ContactImport(
                    workspace_id=workspace.id, state=state, format="csv", total=1,
                    created_at=days_ago(age), updated_at=days_ago(age),
                )
            )  # fmt: skip

    deleted = await purge(db, Settings(), NOW, batch=2)

    assert await _count(db, Event) == 3
    assert await _count(db, Event, Event.id == events["ancient"]) == 0
    assert await _count(db, WebhookDelivery) == 2  # old_b (failed, kept) and recent
    assert await _count(db, WebhookDelivery, WebhookDelivery.state == DeliveryState.FAILED) == 1
    assert await _count(db, WebhookAttempt) == 4  # theirs, two each
    assert await _count(db, InboxEntry) == 2
    assert await _count(db, IdempotencyKey) == 2
    assert await _count(db, Job) == 2
    assert await _count(db, Job, Job.state == JobState.QUEUED) == 1
    assert deleted["events"] == 1
    assert deleted["webhook_deliveries"] == 2  # the delivered ones (ancient's, old_a's)
    assert deleted["unipile_inbox"] == 3
    assert deleted["idempotency_keys"] == 2
    assert deleted["jobs"] == 1
    # Finished imports past 30 days go; one under way stays, whatever its age.
    assert await _count(db, ContactImport) == 2
    assert await _count(db, ContactImport, ContactImport.state == "running") == 1
    assert deleted["contact_imports"] == 2

    again = await purge(db, Settings(), NOW, batch=2)
    assert again.total() == 0


async def test_a_long_run_at_the_defaults_leaves_the_tables_bounded(own_url: str) -> None:
    """bench/retention.py at a small scale (its full run, 100,000 events, is in the README):
    20 events a day for 60 days; every table holds at most its window's worth (+1 day)."""
    per_day, days = 20, 60
    run = await simulate(own_url, events=per_day * days, days=days, step_hours=24)
    assert run.written["events"] == 1200
    assert run.peak["events"] <= per_day * 31
    assert run.peak["unipile_inbox"] <= per_day * 8
    assert run.peak["idempotency_keys"] <= per_day  # a day's worth: half of them, twice
    # Delivered ones for 7 days, failed ones (1 in 20) until their event goes.
    assert run.peak["webhook_deliveries"] <= per_day * 8 + per_day * 31 // 20 + 1
    assert run.peak["webhook_attempts"] == run.peak["webhook_deliveries"]
    assert run.final["events"] >= per_day * 29  # nothing inside the window went
