"""The `skylight` commands against the test database: in-process, and once as the real
executable (its entry point, exit code and error line)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI

from skylight.kit.settings import Settings
from tests.cli_runner import skylight
from tests.processes import run_cli, skylight_env


async def test_workspaces_and_keys_commands(settings: Settings, app: FastAPI) -> None:
    assert (await skylight(settings, "migrate")).exit_code == 0

    created = await skylight(
        settings, "workspaces", "create", "Acme Dental", "--timezone", "Asia/Riyadh"
    )
    assert created.exit_code == 0, created.stderr
    slug = created.stdout.strip().splitlines()[-1]
    assert slug.startswith("acme-dental")

    made = await skylight(settings, "keys", "create", "--workspace", slug, "--name", "crm")
    assert made.exit_code == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("sk_test_")

    listed = await skylight(settings, "keys", "list", "--workspace", slug)
    assert listed.exit_code == 0
    assert "crm" in listed.stdout
    assert key not in listed.stdout  # only a prefix is ever shown
    assert key[:12] in listed.stdout

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.get("/api/v1/contacts", headers={"X-Api-Key": key})
        assert ok.status_code == 200

        key_id = next(line.split()[1] for line in listed.stdout.splitlines() if "crm" in line)
        revoked = await skylight(settings, "keys", "revoke", key_id)
        assert revoked.exit_code == 0, revoked.stderr
        refused = await client.get("/api/v1/contacts", headers={"X-Api-Key": key})
        assert refused.status_code == 401


async def test_unknown_workspace_is_one_clear_line(
    database_url: str, tmp_path: Path, settings: Settings, app: FastAPI
) -> None:
    # The real executable, once: its entry point and how a domain error ends it.
    env = skylight_env(tmp_path, database_url)
    result = await asyncio.to_thread(
        run_cli, env, "keys", "create", "--workspace", "no-such-ws", "--name", "x"
    )
    assert result.returncode == 1
    assert "No workspace with slug 'no-such-ws'." in result.stderr
    assert "Traceback" not in result.stderr
    # In-process, the same.
    again = await skylight(settings, "keys", "create", "--workspace", "no-such-ws", "--name", "x")
    assert again.exit_code == 1
    assert "No workspace with slug 'no-such-ws'." in again.stderr
