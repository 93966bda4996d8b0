"""Cross-domain hooks, registered once at start-up (like api.py for routes and background.py
for jobs): which domains act on events, which may forbid disconnecting a channel, which keep
files from the sweep, who hears of a revived message, and which caches each process keeps
current from the others' commits (kit.signals). The domains that publish or ask never
import the ones that answer."""

from __future__ import annotations

from skylight.campaigns.events import message_revived
from skylight.campaigns.models import Campaign
from skylight.campaigns.service import channel_in_use
from skylight.channels.guards import guard_disconnect
from skylight.events.service import subscribe
from skylight.files.holders import hold_files_with
from skylight.kit.signals import Signals
from skylight.messages.transitions import on_revived
from skylight.webhooks import cache as webhook_endpoints
from skylight.webhooks.outbox import schedule_deliveries


def install() -> None:
    """Idempotent; called by the app factory and by every CLI command."""
    subscribe(schedule_deliveries)
    guard_disconnect(channel_in_use)
    hold_files_with(Campaign.file_id)  # a campaign's file lives as long as the campaign
    on_revived(message_revived)  # a recipient counted failed whose message went out after all


def listen(signals: Signals) -> None:
    """This process's caches forget what another process changed (before signals.listen)."""
    signals.subscribe(webhook_endpoints.CHANNEL, webhook_endpoints.endpoints.on_signal)
