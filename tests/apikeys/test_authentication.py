from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skylight.apikeys.models import ApiKey
from skylight.apikeys.service import authenticate, create_key, revoke_key
from skylight.kit.db import transaction
from skylight.kit.errors import Unauthorized
from skylight.workspaces.service import create_workspace
from tests.factories import TenantFixture


async def test_bearer_and_x_api_key_both_authenticate(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    bearer = await client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {tenant.key}"})
    header = await client.get("/api/v1/contacts", headers={"X-Api-Key": tenant.key})
    assert bearer.status_code == header.status_code == 200
    assert bearer.json() == header.json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer sk_test_not-a-real-key"},
        {"X-Api-Key": "sk_test_not-a-real-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-Api-Key": "x" * 5000},
    ],
    ids=["missing", "unknown-bearer", "unknown-header", "wrong-scheme", "huge"],
)
async def test_missing_or_unknown_key_is_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/contacts", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False
    assert body["message"]
    assert response.headers["X-Request-Id"]


async def test_revoked_key_is_401(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    assert (await client.get("/api/v1/contacts", headers=tenant.headers)).status_code == 200
    async with transaction(sessionmaker) as session:
        key_id = await session.scalar(
            select(ApiKey.id).where(ApiKey.workspace_id == tenant.workspace_id)
        )
        assert key_id is not None
        await revoke_key(session, key_id)
    response = await client.get("/api/v1/contacts", headers=tenant.headers)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid or revoked API key."


async def test_key_is_stored_only_as_a_hash(
    tenant: TenantFixture, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert tenant.key.startswith("sk_test_")
    async with transaction(sessionmaker) as session:
        key = await session.scalar(select(ApiKey).where(ApiKey.workspace_id == tenant.workspace_id))
        assert key is not None
        stored = [str(getattr(key, column.key)) for column in ApiKey.__table__.columns]
    assert all(tenant.key not in value for value in stored)
    assert key.prefix == tenant.key[:12]
    assert len(key.key_hash) == 64


async def test_a_live_key_is_refused_by_a_sandbox_server(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(sessionmaker) as session:
        workspace = await create_workspace(session, "Live keys")
        live = await create_key(session, workspace, "live", "live")
    response = await client.get("/api/v1/contacts", headers={"X-Api-Key": live.secret})
    assert response.status_code == 401
    assert response.json()["message"].startswith("This is a live key (sk_live_...)")


async def test_a_test_key_is_refused_by_a_live_server(
    tenant: TenantFixture, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(sessionmaker) as session:
        assert (await authenticate(session, tenant.key, "test")).workspace_id == tenant.workspace_id
        with pytest.raises(Unauthorized) as refused:
            await authenticate(session, tenant.key, "live")
    assert refused.value.message.startswith("This is a test key (sk_test_...)")
