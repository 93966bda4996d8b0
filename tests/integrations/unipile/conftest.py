from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from skylight.integrations.unipile import UnipileClient
from skylight.integrations.unipile.simulator import (
    SimulatorConfig,
    SimulatorControl,
    create_simulator_app,
)
from tests.integrations.unipile.harness import WebhookReceiver, serve

API_KEY = "pNQnUCoZ.Zd6OsimulatorTestKey="


@dataclass
class Sim:
    url: str
    config: SimulatorConfig
    client: UnipileClient
    control: SimulatorControl


StartSim = Callable[..., AbstractAsyncContextManager[Sim]]


@pytest.fixture
def sim_config(tmp_path: Path) -> SimulatorConfig:
    return SimulatorConfig(
        api_key=API_KEY,
        db_path=tmp_path / "unipile-simulator.db",
        connect_delay_seconds=0.2,
        webhook_retry_base_seconds=0.05,
        webhook_max_retries=5,
        webhook_timeout_seconds=2.0,
        seed=1234,
    )


@pytest.fixture
def start_sim(sim_config: SimulatorConfig) -> StartSim:
    """Start (and on exit stop) a simulator; keyword arguments override the config."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Sim]:
        config = replace(sim_config, **overrides)
        async with serve(create_simulator_app(config)) as url:
            client = UnipileClient(url, API_KEY, timeout=5.0, max_retries=2, backoff_base=0.01)
            control = SimulatorControl(url, API_KEY)
            try:
                yield Sim(url, config, client, control)
            finally:
                await client.aclose()
                await control.aclose()

    return start


@pytest.fixture
async def sim(start_sim: StartSim) -> AsyncIterator[Sim]:
    async with start_sim() as running:
        yield running


@dataclass
class Receiver:
    url: str
    app: WebhookReceiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = WebhookReceiver()
    async with serve(app) as url:
        yield Receiver(url, app)


async def connected_whatsapp(sim: Sim, phone: str = "+966501234567") -> str:
    checkpoint = await sim.client.connect_account("WHATSAPP")
    await sim.control.scan(checkpoint.account_id, username=phone)
    return checkpoint.account_id


async def connected_instagram(sim: Sim, username: str = "skylight.shop") -> str:
    created = await sim.client.connect_account(
        "INSTAGRAM", username=username, password="hunter2-secret"
    )
    return created.account_id
