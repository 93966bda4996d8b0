"""What may forbid disconnecting a channel. Domains that hold a channel (campaigns) register a
guard at start-up (skylight.wiring), so channels never imports them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.types import ChannelType

# The reason the channel must stay connected, as a sentence for the user; None when free.
DisconnectGuard = Callable[[AsyncSession, int, ChannelType], Awaitable[str | None]]
_guards: list[DisconnectGuard] = []


def guard_disconnect(guard: DisconnectGuard) -> None:
    if guard not in _guards:
        _guards.append(guard)


async def disconnect_refusal(
    session: AsyncSession, workspace_id: int, channel: ChannelType
) -> str | None:
    """Asked in the disconnect's own transaction (on SQLite a second one would wait for it)."""
    for guard in _guards:
        reason = await guard(session, workspace_id, channel)
        if reason is not None:
            return reason
    return None
