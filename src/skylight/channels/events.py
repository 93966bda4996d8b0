"""Channel events carry the channel object as the API shows it (times in the workspace's zone)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.models import Channel
from skylight.channels.schemas import ChannelOut
from skylight.events.service import emit
from skylight.workspaces.repository import WorkspaceRepository


async def channel_event(session: AsyncSession, channel: Channel, type: str) -> None:
    await session.flush()
    workspace = await WorkspaceRepository(session).get(channel.workspace_id)
    timezone = workspace.timezone if workspace else "UTC"
    await emit(session, channel.workspace_id, type, ChannelOut.build(channel, timezone))
