"""What every part of a running simulator shares."""

from __future__ import annotations

import asyncio
import random
from contextvars import ContextVar
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from skylight.integrations.unipile.simulator.config import Faults, SimulatorConfig

# The tenant a request is made for (header X-Sandbox-Tenant, set by the gate): one simulator
# serves many workspaces of a SkyLight server, and each one's faults are its own.
TENANT_HEADER = "X-Sandbox-Tenant"
current_tenant: ContextVar[str | None] = ContextVar("sandbox_tenant", default=None)


@dataclass
class SimulatorState:
    config: SimulatorConfig
    engine: AsyncEngine
    # Global: every call (the standalone simulator, bench/), unless its tenant set its own.
    faults: Faults = field(default_factory=Faults)
    tenant_faults: dict[str, Faults] = field(default_factory=dict)
    # Which tenant created each account: its webhooks get that tenant's faults, whoever
    # triggers them (a background job, the simulator's own clock).
    account_tenants: dict[str, str] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    # Set after a commit that queued deliveries, so the dispatcher does not wait for its tick.
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def claim(self, account_id: str) -> None:
        tenant = current_tenant.get()
        if tenant is not None:
            self.account_tenants[account_id] = tenant

    def faults_for(self, account_id: str | None = None) -> Faults:
        """The faults of the account's tenant, else of the request's tenant; the global ones
        (Unipile itself in trouble) for a tenant that set none."""
        tenant = self.account_tenants.get(account_id or "") or current_tenant.get()
        return self.tenant_faults.get(tenant or "", self.faults)

    def chance(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate


async def get_state(request: Request) -> SimulatorState:  # async: no thread-pool hop
    state: SimulatorState = request.app.state.sim
    return state
