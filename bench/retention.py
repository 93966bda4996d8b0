"""Retention keeps the tables bounded: N events' worth of rows (each event with its webhook
delivery and attempt, an inbound webhook's inbox entry, every other one an idempotency key,
now and then a failed job) spread over simulated days, with the real retention pass run every
simulated hour at the default settings. Prints each table's peak and final row count.

    python -m bench.retention [--events 100000] [--days 100] [--databases sqlite,postgres]

The rows are written directly (retention does not care how they were made; a real server would
take hours for 100,000 events) and time is injected, so the run takes a minute or two."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.databases import fresh_database
from skylight.events.models import Event
from skylight.idempotency.models import IdempotencyKey
from skylight.inbound.models import InboxEntry
from skylight.jobs.models import Job, JobState
from skylight.kit.db import Database, create_engine
from skylight.kit.migrations import upgrade
from skylight.kit.settings import Settings
from skylight.retention.service import purge
from skylight.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from skylight.workspaces.models import Workspace

TABLES = {
    "events": Event,
    "webhook_deliveries": WebhookDelivery,
    "webhook_attempts": WebhookAttempt,
    "unipile_inbox": InboxEntry,
    "idempotency_keys": IdempotencyKey,
    "jobs": Job,
}
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Run:
    events: int = 0
    written: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    final: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


async def _setup(db: Database) -> tuple[int, int]:
    async with db.transaction() as session:
        workspace = Workspace(name="Retention", slug=f"retention-{time.time_ns()}")
        session.add(workspace)
        await session.flush()
        endpoint = WebhookEndpoint(
            workspace_id=workspace.id,
            url="https://example.test/hook",
            event_types='["*"]',
            secret="whsec_bench",  # noqa: S106 (a bench row, never used)
            description=None,
        )
        session.add(endpoint)
        await session.flush()
        return workspace.id, endpoint.id


async def _traffic(
    db: Database, workspace_id: int, endpoint_id: int, at: datetime, count: int, first: int
) -> Counter[str]:
    """`count` events at `at`, each with what it brings along; the rows written per table."""
    async with db.transaction() as session:
        events = (
            await session.scalars(
                insert(Event).returning(Event.id),
                [
                    {
                        "workspace_id": workspace_id,
                        "type": "message.received",
                        "data": "{}",
                        "created_at": at,
                    }
                    for _ in range(count)
                ],
            )
        ).all()
        failed = {event_id for n, event_id in enumerate(events) if (first + n) % 20 == 0}
        deliveries = (
            await session.scalars(
                insert(WebhookDelivery).returning(WebhookDelivery.id),
                [
                    {
                        "endpoint_id": endpoint_id,
                        "event_id": event_id,
                        "state": DeliveryState.FAILED
                        if event_id in failed
                        else DeliveryState.SUCCEEDED,
                        "attempts": 1,
                        "created_at": at,
                        "updated_at": at,
                    }
                    for event_id in events
                ],
            )
        ).all()
        await session.execute(
            insert(WebhookAttempt),
            [
                {
                    "delivery_id": delivery_id,
                    "status_code": 200,
                    "response_body": "ok",
                    "error": None,
                    "duration_ms": 12,
                    "created_at": at,
                }
                for delivery_id in deliveries
            ],
        )
        await session.execute(
            insert(InboxEntry),
            [
                {
                    "dedupe_key": f"message_received:{first + n}",
                    "account_id": "acc",
                    "event": "message_received",
                    "received_at": at,
                }
                for n in range(count)
            ],
        )
        keys = [n for n in range(count) if (first + n) % 2 == 0]
        if keys:
            await session.execute(
                insert(IdempotencyKey),
                [
                    {
                        "workspace_id": workspace_id,
                        "key": f"key-{first + n}",
                        "fingerprint": "f" * 64,
                        "response_status": 201,
                        "response_body": "{}",
                        "created_at": at,
                    }
                    for n in keys
                ],
            )
        failed_jobs = sum(1 for n in range(count) if (first + n) % 1000 == 0)
        for _ in range(failed_jobs):
            session.add(
                Job(
                    kind="webhook.deliver",
                    payload="{}",
                    state=JobState.FAILED,
                    run_at=at,
                    attempts=10,
                    max_attempts=10,
                    created_at=at,
                    finished_at=at,
                )
            )
    return Counter(
        events=count,
        webhook_deliveries=count,
        webhook_attempts=count,
        unipile_inbox=count,
        idempotency_keys=len(keys),
        jobs=failed_jobs,
    )


async def _counts(db: Database) -> Counter[str]:
    counts: Counter[str] = Counter()
    async with db.read() as session:
        for name, table in TABLES.items():
            counts[name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


async def simulate(
    url: str,
    *,
    events: int,
    days: int,
    settings: Settings | None = None,
    step_hours: int = 1,
) -> Run:
    """Spread `events` evenly over `days` simulated days, written and purged every `step_hours`
    simulated hours."""
    settings = settings or Settings()
    db = Database(create_engine(url))
    run = Run(events=events)
    started = time.monotonic()
    try:
        await upgrade(db.engine)
        workspace_id, endpoint_id = await _setup(db)
        steps = days * 24 // step_hours
        written = 0
        for step in range(steps):
            at = START + timedelta(hours=step * step_hours)
            count = (events * (step + 1)) // steps - written
            if count:
                run.written += await _traffic(db, workspace_id, endpoint_id, at, count, written)
                written += count
            run.deleted += await purge(db, settings, at)
            if (step + 1) * step_hours % 24 == 0:
                run.peak |= await _counts(db)
        run.final = await _counts(db)
        run.peak |= run.final
    finally:
        await db.dispose()
    run.seconds = time.monotonic() - started
    return run


def _table(kind: str, run: Run, days: int) -> str:
    lines = [
        f"### {kind}: {run.events:,} events over {days} simulated days, "
        f"retention every simulated hour at its defaults ({run.seconds:.0f} s)",
        "",
        "| table | rows written | peak rows (checked daily) | rows at the end |",
        "|---|---:|---:|---:|",
    ]
    for name in TABLES:
        lines.append(
            f"| {name} | {run.written[name]:,} | {run.peak[name]:,} | {run.final[name]:,} |"
        )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="skylight-retention-") as tmp:
        for kind in args.databases.split(","):
            async with fresh_database(kind, Path(tmp) / kind) as url:
                run = await simulate(url, events=args.events, days=args.days)
            print(_table(kind, run, args.days), end="\n\n", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
