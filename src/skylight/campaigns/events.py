"""A campaign's events and the moves that emit them: completed, and paused (by request, by its
channel leaving OK, by sends failing in a row, or by its send loop giving up)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.campaigns.models import Campaign
from skylight.campaigns.repository import Queue, progress_of
from skylight.campaigns.schemas import CampaignOut
from skylight.campaigns.types import CampaignState
from skylight.events.service import emit


async def campaign_event(session: AsyncSession, campaign: Campaign, type: str) -> None:
    await session.flush()
    progress = await progress_of(session, [campaign.id])
    await emit(
        session, campaign.workspace_id, type, CampaignOut.build(campaign, progress[campaign.id])
    )


async def pause(session: AsyncSession, campaign: Campaign, reason: str, now: datetime) -> None:
    campaign.state = CampaignState.PAUSED
    campaign.pause_reason = reason
    campaign.paused_at = now
    await campaign_event(session, campaign, "campaign.paused")


async def complete(session: AsyncSession, campaign: Campaign, now: datetime) -> None:
    campaign.state, campaign.completed_at = CampaignState.COMPLETED, now
    await campaign_event(session, campaign, "campaign.completed")


async def message_revived(session: AsyncSession, message_id: int) -> None:
    """A message failed as never confirmed went out after all (messages.transitions): its
    recipient, counted failed, is sent (registered in skylight.wiring)."""
    await Queue(session).revive_recipient(message_id)
