from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import TenantFixture, make_tenant

SetFaults = Callable[..., Awaitable[None]]


@pytest.fixture
async def riyadh_tenant(sessionmaker: async_sessionmaker[AsyncSession]) -> TenantFixture:
    """A workspace in Asia/Riyadh, the seed's +03:00."""
    return await make_tenant(sessionmaker, timezone="Asia/Riyadh")


@pytest.fixture
async def faults(client: httpx.AsyncClient, tenant: TenantFixture) -> AsyncIterator[SetFaults]:
    """Set the simulator's fault injection through the sandbox API; always cleared after."""

    async def set_faults(**body: Any) -> None:
        response = await client.post("/api/v1/sandbox/faults", json=body, headers=tenant.headers)
        assert response.status_code == 200, response.text

    try:
        yield set_faults
    finally:
        await set_faults()
