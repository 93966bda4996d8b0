"""A local stand-in for Unipile v1: same routes and shapes, state in a SQLite file."""

from skylight.integrations.unipile.simulator.app import create_simulator_app
from skylight.integrations.unipile.simulator.config import Faults, SimulatorConfig
from skylight.integrations.unipile.simulator.control import (
    InboundResult,
    SentMessage,
    SimulatorControl,
)

__all__ = [
    "Faults",
    "InboundResult",
    "SentMessage",
    "SimulatorConfig",
    "SimulatorControl",
    "create_simulator_app",
]
