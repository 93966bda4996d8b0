"""A server in live mode (SKYLIGHT_UNIPILE_DSN + SKYLIGHT_UNIPILE_API_KEY, no sandbox) against a
standalone simulator, both in this process: what a user pointing SkyLight at Unipile gets."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from skylight.apikeys.service import create_key
from skylight.app import create_app
from skylight.integrations.unipile import UnipileClient
from skylight.integrations.unipile.simulator import (
    SimulatorConfig,
    SimulatorControl,
    create_simulator_app,
)
from skylight.kit.db import transaction
from skylight.kit.settings import Settings
from skylight.workspaces.service import create_workspace
from tests.databases import sqlite_url
from tests.integrations.unipile.harness import serve
from tests.ops.conftest import migrate
from tests.processes import free_port
from tests.servers import serve_in_loop

SIM_KEY = "pNQnUCoZ.Zd6OliveModeKey="


@dataclass
class LiveServer:
    app: FastAPI
    http: httpx.AsyncClient  # in-process, with a live key of the server's one workspace
    sim: SimulatorControl
    unipile: UnipileClient  # straight to the simulator, as a second client would


StartLive = Callable[..., AbstractAsyncContextManager[LiveServer]]


@pytest.fixture(scope="session")
async def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each live server starts from a copy of it."""
    folder = tmp_path_factory.mktemp("live-template")
    await migrate(sqlite_url(folder))
    return folder / "skylight-test.db"


@pytest.fixture
def start_live(settings: Settings, tmp_path: Path, migrated_template: Path) -> StartLive:
    """``start_live(sim={...}, api_key=..., **settings)``: a simulator with these config
    changes, and a server of its own (own SQLite database) in live mode against it."""

    @asynccontextmanager
    async def start(
        sim: dict[str, Any] | None = None, api_key: str = SIM_KEY, **changes: Any
    ) -> AsyncIterator[LiveServer]:
        folder = tmp_path / secrets.token_hex(4)
        config = SimulatorConfig(
            api_key=SIM_KEY,
            db_path=folder / "unipile-simulator.db",
            connect_delay_seconds=0.1,
            webhook_retry_base_seconds=0.05,
            **(sim or {}),
        )
        folder.mkdir()
        shutil.copy(migrated_template, folder / migrated_template.name)
        database = sqlite_url(folder)
        async with serve(create_simulator_app(config)) as sim_url:
            port = free_port()
            live = settings.model_copy(
                update={
                    "database_url": database,
                    "data_dir": folder / "data",
                    "port": port,
                    "public_url": f"http://127.0.0.1:{port}",
                    "unipile_dsn": sim_url,
                    "unipile_api_key": SecretStr(api_key),
                    **changes,
                }
            )
            assert not live.sandbox
            app = create_app(live)
            async with serve_in_loop(app, port):
                key = await _live_key(app)
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                async with (
                    httpx.AsyncClient(
                        transport=transport,
                        base_url="http://testserver",
                        headers={"Authorization": f"Bearer {key}"},
                    ) as http,
                    SimulatorControl(sim_url, SIM_KEY) as control,
                    UnipileClient(sim_url, SIM_KEY, max_retries=0) as unipile,
                ):
                    yield LiveServer(app, http, control, unipile)

    return start


async def _live_key(app: FastAPI) -> str:
    async with transaction(app.state.sessionmaker) as session:
        workspace = await create_workspace(session, "Live", timezone="UTC")
        created = await create_key(session, workspace, "live", "live")
        assert created.secret.startswith("sk_live_")
        return created.secret
