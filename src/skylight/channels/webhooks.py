"""account_status webhooks keep each channel current without a refresh."""

from __future__ import annotations

from skylight.channels.events import channel_event
from skylight.channels.models import Channel
from skylight.channels.repository import AccountLookup
from skylight.channels.state import apply_upstream_status, username_from_account
from skylight.channels.types import HEALTHY, ChannelType
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileError
from skylight.integrations.unipile.schemas import AccountStatusEvent
from skylight.kit.db import Database
from skylight.kit.time import utcnow

_CREATED = {"CREATION_SUCCESS", "OK", "RECONNECTED", "SYNC_SUCCESS"}


async def on_account_status(
    db: Database, unipile: UnipileClient, event: AccountStatusEvent
) -> bool:
    """Apply one status; returns False when the account is not one of ours."""
    async with db.transaction() as session:
        lookup = AccountLookup(session)
        channel = await lookup.channel(event.account_id)
        attempt = await lookup.attempt(event.account_id)
        if channel is None and attempt is None:
            return False
        channel_type: ChannelType = channel.type if channel else attempt.type  # type: ignore[union-attr]
        wants_name = channel is not None and event.message in _CREATED and not channel.username
    username = None
    if wants_name:
        # The webhook carries no phone or username; one read of the account fills it in.
        try:
            username = username_from_account(
                channel_type, await unipile.get_account(event.account_id)
            )
        except UnipileError:
            username = None
    async with db.transaction() as session:
        lookup = AccountLookup(session)
        channel = await lookup.channel(event.account_id)
        attempt = await lookup.attempt(event.account_id)
        was_healthy = channel is not None and _healthy(channel)
        changed = apply_upstream_status(channel, attempt, event.message, utcnow())
        if channel is not None and username and not channel.username:
            channel.username = username
        if changed and channel is not None:
            await channel_event(session, channel, "channel.status_changed")
        return channel is not None and not was_healthy and _healthy(channel)


def _healthy(channel: Channel) -> bool:
    return channel.is_connected and channel.status in HEALTHY
