"""Cross-domain hooks, registered once at start-up (like api.py for routes and background.py
for jobs): which domains act on events, and which may forbid disconnecting a channel. The
domains that publish or ask never import the ones that answer."""

from __future__ import annotations

from skylight.campaigns.service import channel_in_use
from skylight.channels.guards import guard_disconnect
from skylight.events.service import subscribe
from skylight.webhooks.outbox import schedule_deliveries


def install() -> None:
    """Idempotent; called by the app factory and by every CLI command."""
    subscribe(schedule_deliveries)
    guard_disconnect(channel_in_use)
