"""Knobs of the Unipile simulator, fixed at start (SimulatorConfig) or changed live (Faults)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class SimulatorConfig:
    api_key: str
    # "Unipile's" own SQLite database; state survives a restart on the same file.
    db_path: Path
    checkpoint_ttl_seconds: float = 300.0
    # How long an Instagram login scripted as slow ("slow_" usernames) takes to answer.
    slow_login_seconds: float = 30.0
    # After the last 2FA round an Instagram account is CONNECTING for this long, then OK.
    connect_delay_seconds: float = 1.0
    webhook_retry_base_seconds: float = 2.0
    webhook_max_retries: int = 5
    webhook_timeout_seconds: float = 30.0
    # Like Unipile, messages sent through the API also come back as message_received.
    echo_api_messages: bool = True
    # The background loop wakes when a delivery is made and sleeps until the next retry or
    # CONNECTING->OK promotion is due; this is the longest it naps, as a safety net.
    poll_interval_seconds: float = 1.0
    # Fixes the random fault draws (and nothing else) for reproducible runs.
    seed: int | None = None


class Faults(BaseModel):
    """Runtime fault injection; ``POST /_sandbox/faults`` replaces it whole (``{}`` clears)."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    webhook_drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    webhook_duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
