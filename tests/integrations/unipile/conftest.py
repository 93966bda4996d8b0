"""Fixtures for the Unipile client and simulator tests: real uvicorn servers on loopback.

The simulator's answers to the reference's UNVERIFIED points (see the docstring of
``skylight.integrations.unipile.simulator.app``) are pinned by these tests:
- 202 QRCODE checkpoints, CONNECTING until scanned, realistic QR strings (test_client_accounts,
  test_simulator_shapes); a reconnect gives a fresh QR code.
- Resend: 200 with a CheckpointResend object; restart: AccountRestarted, STOPPED/ERROR -> OK.
- Expired intent: 500 errors/authentication_intent_error (start again).
- API sends echo as message_received with is_sender true and no account_info; delivery only
  sets the message's delivered flag (no message_delivered event exists), a read emits
  message_read; messaging webhooks default to message_received only.
- account_status sequence CREATION_SUCCESS, OK, SYNC_SUCCESS; failed QR -> ERROR; delete ->
  DELETED; no Content-Type header unless registered (test_simulator_webhooks).
- A missing or wrong API key: 401 errors/missing_credentials (invalid_credentials is a wrong
  Instagram password).
What Unipile refuses, the simulator refuses too (test_simulator_strict), and Unipile's own SDK
accepts every answer (test_sdk_contract).
"""

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
