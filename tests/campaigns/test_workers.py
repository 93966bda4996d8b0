"""Several workers on one PostgreSQL share the campaigns' jobs (SKIP LOCKED claims) and never
message a recipient twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from skylight.background import Services, handlers
from skylight.campaigns.runner import JOB_KIND
from skylight.jobs.worker import Handler, Worker
from tests.campaigns.conftest import fast_settings, postgres_or_skip, running_app
from tests.campaigns.flows import (
    act,
    assert_each_once,
    connect_whatsapp,
    create,
    until_state,
    whatsapp_contacts,
)
from tests.factories import TenantFixture, make_tenant
from tests.sandbox_flows import sent_log

pytestmark = pytest.mark.both_databases


def counting(registry: Mapping[str, Handler], runs: Counter[str], name: str) -> dict[str, Handler]:
    """The worker's handlers, counting its runs of campaign steps."""
    campaign_step = registry[JOB_KIND]

    async def counted(payload: dict[str, Any]) -> None:
        runs[name] += 1
        await campaign_step(payload)

    return {**registry, JOB_KIND: counted}


async def test_two_workers_on_postgresql_never_send_to_a_recipient_twice(tmp_path: Path) -> None:
    async with postgres_or_skip() as url:
        # The server runs no jobs: only the two workers below do.
        settings = fast_settings(url, tmp_path, run_jobs_in_process=False)
        async with running_app(settings) as app:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                tenants = [await make_tenant(app.state.sessionmaker) for _ in range(3)]
                campaigns: list[tuple[TenantFixture, int]] = []
                for tenant in tenants:
                    await connect_whatsapp(client, tenant)
                    await whatsapp_contacts(client, tenant, 20)
                    made = await create(client, tenant, filter={}, message="Hi {{name}}")
                    campaigns.append((tenant, made["id"]))
                # Two campaigns on one account, to the same people: each messages each once.
                owner = tenants[0]
                made = await create(client, owner, filter={}, message="Bye {{name}}")
                campaigns.append((owner, made["id"]))

                services = Services(app.state.db, app.state.unipile, settings, app.state.webhooks)
                runs: Counter[str] = Counter()
                workers = [
                    Worker(
                        app.state.db,
                        counting(handlers(services), runs, name),
                        concurrency=2,
                        poll_seconds=0.02,
                        lease_seconds=settings.job_lease_seconds,
                        name=name,
                    )
                    for name in ("first", "second")
                ]
                async with workers[0].running(), workers[1].running():
                    for tenant, campaign_id in campaigns:
                        await act(client, tenant, campaign_id, "start")
                    for tenant, campaign_id in campaigns:
                        done = await until_state(
                            client, tenant, campaign_id, "completed", within=60
                        )
                        assert done["progress"]["sent"] == 20, done

                for tenant in tenants[1:]:
                    assert_each_once(await sent_log(client, tenant), 20)
                owners = await sent_log(client, owner)
                assert_each_once([s for s in owners if s["text"].startswith("Hi ")], 20)
                assert_each_once([s for s in owners if s["text"].startswith("Bye ")], 20)
                # Both workers took part in the campaigns.
                assert runs["first"] > 0
                assert runs["second"] > 0
