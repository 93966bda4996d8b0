"""A worker runs at most its per-workspace share of one workspace's jobs: a tenant with a
backlog (or a slow endpoint holding its jobs) leaves room for everyone else's."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest

from skylight.jobs.service import enqueue
from skylight.jobs.worker import Worker
from skylight.kit.db import Database
from tests.factories import TenantFixture

pytestmark = pytest.mark.both_databases


async def test_one_workspaces_backlog_cannot_take_every_slot(
    db: Database, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    kind = f"test.{secrets.token_hex(4)}"
    release = asyncio.Event()
    running: dict[int, int] = {}
    most: dict[int, int] = {}
    other_ran = asyncio.Event()

    async def hog(payload: dict[str, Any]) -> None:
        workspace = payload["workspace"]
        running[workspace] = running.get(workspace, 0) + 1
        most[workspace] = max(most.get(workspace, 0), running[workspace])
        if workspace == other_tenant.workspace_id:
            other_ran.set()
        try:
            await release.wait()  # a slow endpoint: holds its slot until the test ends
        finally:
            running[workspace] -= 1

    async with db.transaction() as session:
        # The hog's twenty jobs are older, so first in line...
        for _ in range(20):
            await enqueue(
                session,
                kind,
                {"workspace": tenant.workspace_id},
                workspace_id=tenant.workspace_id,
            )
    async with db.transaction() as session:
        await enqueue(
            session,
            kind,
            {"workspace": other_tenant.workspace_id},
            workspace_id=other_tenant.workspace_id,
        )
    worker = Worker(db, {kind: hog}, concurrency=4, per_workspace=2, poll_seconds=0.01)
    async with worker.running(grace_seconds=0.1):
        # ...yet the other tenant's job runs while the hog's are all stuck.
        await asyncio.wait_for(other_ran.wait(), 10)
        hogged = running[tenant.workspace_id]
        release.set()
    assert hogged == 2
    assert most[tenant.workspace_id] == 2
