"""What every part of a running simulator shares."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from skylight.integrations.unipile.simulator.config import Faults, SimulatorConfig


@dataclass
class SimulatorState:
    config: SimulatorConfig
    engine: AsyncEngine
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)
    # Set after a commit that queued deliveries, so the dispatcher does not wait for its tick.
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def chance(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate


def get_state(request: Request) -> SimulatorState:
    state: SimulatorState = request.app.state.sim
    return state
