"""Which function runs each kind of background job, and which work is periodic: the one place
that wires domains to the job queue (like api.py for routes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.campaigns.runner import JOB_KIND as CAMPAIGN_JOB
from skylight.campaigns.runner import gave_up as campaign_gave_up
from skylight.campaigns.runner import run_job as run_campaign
from skylight.contacts.imports import JOB_KIND as IMPORT_JOB
from skylight.contacts.imports import run_job as run_import
from skylight.files import fetching, sweep
from skylight.files.storage import open_storage
from skylight.integrations.unipile.client import UnipileClient
from skylight.jobs import periodic
from skylight.jobs.periodic import Periodic
from skylight.jobs.worker import Handler, Worker
from skylight.kit.db import Database
from skylight.kit.settings import Settings
from skylight.kit.time import Clock, utcnow
from skylight.messages.reconcile import reconcile_all
from skylight.messages.reconciler import ACCOUNT_KIND as RECONCILE_ACCOUNT
from skylight.messages.reconciler import ALL_KIND as RECONCILE_ALL
from skylight.retention.service import purge
from skylight.webhooks.delivery import deliver
from skylight.webhooks.outbox import JOB_KIND as WEBHOOK_JOB
from skylight.webhooks.sender import WebhookSender

RETENTION = "retention.purge"


@dataclass(frozen=True)
class Services:
    """What job handlers may use."""

    db: Database
    unipile: UnipileClient
    settings: Settings
    # The one HTTP client of webhook deliveries (skylight.webhooks.sender.webhook_sender).
    webhooks: WebhookSender
    clock: Clock = utcnow


def handlers(services: Services) -> Mapping[str, Handler]:
    # Stateless (a folder, or an S3 client): one of its own, like the server's.
    storage = open_storage(services.settings)

    async def deliver_webhook(payload: dict[str, Any]) -> None:
        await deliver(services.db, services.settings, services.webhooks, payload)

    async def campaign_step(payload: dict[str, Any]) -> None:
        await run_campaign(
            services.db, services.unipile, services.settings, payload, storage=storage
        )

    async def import_contacts(payload: dict[str, Any]) -> None:
        await run_import(services.db, payload, settings=services.settings)

    async def fetch_file(payload: dict[str, Any]) -> None:
        await fetching.run_job(services.db, services.unipile, storage, services.settings, payload)

    async def sweep_files(payload: dict[str, Any]) -> None:
        await sweep.run_job(services.db, storage, services.settings, payload)

    async def reconcile_account(payload: dict[str, Any]) -> None:
        await reconcile_all(services.db, services.unipile, {str(payload["account_id"])})

    registry: dict[str, Handler] = {
        WEBHOOK_JOB: deliver_webhook,
        CAMPAIGN_JOB: campaign_step,
        IMPORT_JOB: import_contacts,
        fetching.FETCH_JOB: fetch_file,
        sweep.SWEEP_JOB: sweep_files,
        RECONCILE_ACCOUNT: reconcile_account,
    }
    return registry


def periodic_tasks(services: Services) -> Sequence[Periodic]:
    """Once per interval across every process (jobs.periodic)."""
    settings = services.settings

    async def reconcile() -> None:
        await reconcile_all(services.db, services.unipile)

    async def retention() -> None:
        await purge(services.db, settings, services.clock())

    return [
        Periodic(RECONCILE_ALL, settings.reconcile_interval_seconds, reconcile),
        Periodic(RETENTION, settings.retention_interval_seconds, retention),
    ]


def make_worker(services: Services) -> Worker:
    settings = services.settings
    tasks = periodic_tasks(services)
    registry = dict(handlers(services))
    registry.update({task.kind: periodic.handler_for(task) for task in tasks})

    async def on_start(session: AsyncSession, now: datetime) -> None:
        await periodic.schedule(session, tasks, now)

    return Worker(
        services.db,
        registry,
        concurrency=settings.job_concurrency,
        per_workspace=settings.job_concurrency_per_workspace,
        poll_seconds=settings.job_poll_seconds,
        lease_seconds=settings.job_lease_seconds,
        # Several beats within the window in which /readyz counts a worker as alive.
        heartbeat_seconds=min(10.0, settings.job_lease_seconds / 4, settings.job_stall_seconds / 3),
        clock=services.clock,
        on_start=on_start,
        give_up_seconds=settings.worker_give_up_seconds,
        # A campaign whose loop fails for good is paused, never left running.
        on_give_up={CAMPAIGN_JOB: campaign_gave_up},
    )
