"""The real `skylight` command, run as a process against each test database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.processes import run_cli, skylight_env


async def test_workspaces_and_keys_commands(
    database_url: str, tmp_path: Path, app: FastAPI
) -> None:
    # The app's event loop must keep running while the CLI works on the same database (its
    # background loops hold short transactions), so every subprocess runs in a thread.
    env = skylight_env(tmp_path, database_url)
    assert (await asyncio.to_thread(run_cli, env, "migrate")).returncode == 0

    created = await asyncio.to_thread(
        run_cli, env, "workspaces", "create", "Acme Dental", "--timezone", "Asia/Riyadh"
    )
    assert created.returncode == 0, created.stderr
    slug = created.stdout.strip().splitlines()[-1]
    assert slug.startswith("acme-dental")

    made = await asyncio.to_thread(
        run_cli, env, "keys", "create", "--workspace", slug, "--name", "crm"
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("sk_test_")

    listed = await asyncio.to_thread(run_cli, env, "keys", "list", "--workspace", slug)
    assert listed.returncode == 0
    assert "crm" in listed.stdout
    assert key not in listed.stdout  # only a prefix is ever shown
    assert key[:12] in listed.stdout

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.get("/api/v1/contacts", headers={"X-Api-Key": key})
        assert ok.status_code == 200

        key_id = next(line.split()[1] for line in listed.stdout.splitlines() if "crm" in line)
        revoked = await asyncio.to_thread(run_cli, env, "keys", "revoke", key_id)
        assert revoked.returncode == 0, revoked.stderr
        refused = await client.get("/api/v1/contacts", headers={"X-Api-Key": key})
        assert refused.status_code == 401


async def test_unknown_workspace_is_one_clear_line(
    database_url: str, tmp_path: Path, app: FastAPI
) -> None:
    env = skylight_env(tmp_path, database_url)
    result = await asyncio.to_thread(
        run_cli, env, "keys", "create", "--workspace", "no-such-ws", "--name", "x"
    )
    assert result.returncode == 1
    assert "No workspace with slug 'no-such-ws'." in result.stderr
    assert "Traceback" not in result.stderr
