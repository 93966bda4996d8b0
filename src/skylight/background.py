"""Which function runs each kind of background job: the one place that wires domains to the
job queue (like api.py for routes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from skylight.campaigns.runner import JOB_KIND as CAMPAIGN_JOB
from skylight.campaigns.runner import run_job as run_campaign
from skylight.contacts.imports import JOB_KIND as IMPORT_JOB
from skylight.contacts.imports import run_job as run_import
from skylight.files import fetching, sweep
from skylight.files.storage import open_storage
from skylight.integrations.unipile.client import UnipileClient
from skylight.jobs.worker import Handler, Worker
from skylight.kit.db import Database
from skylight.kit.settings import Settings
from skylight.webhooks.delivery import deliver
from skylight.webhooks.outbox import JOB_KIND as WEBHOOK_JOB
from skylight.webhooks.sender import WebhookSender


@dataclass(frozen=True)
class Services:
    """What job handlers may use."""

    db: Database
    unipile: UnipileClient
    settings: Settings
    # The one HTTP client of webhook deliveries (skylight.webhooks.sender.webhook_sender).
    webhooks: WebhookSender


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

    registry: dict[str, Handler] = {
        WEBHOOK_JOB: deliver_webhook,
        CAMPAIGN_JOB: campaign_step,
        IMPORT_JOB: import_contacts,
        fetching.FETCH_JOB: fetch_file,
        sweep.SWEEP_JOB: sweep_files,
    }
    return registry


def make_worker(services: Services) -> Worker:
    return Worker(
        services.db,
        handlers(services),
        concurrency=services.settings.job_concurrency,
        lease_seconds=services.settings.job_lease_seconds,
    )
