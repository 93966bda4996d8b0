"""The few queries operations need; unlike the domains' repositories they span workspaces."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.campaigns.models import Campaign, CampaignRecipient
from skylight.jobs.models import Job
from skylight.messages.models import Message
from skylight.webhooks.models import WebhookDelivery


async def message_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(direction, status, count) over every workspace."""
    rows = await session.execute(
        select(Message.direction, Message.status, func.count())
        .group_by(Message.direction, Message.status)
        .order_by(Message.direction, Message.status)
    )
    return [(direction, status, count) for direction, status, count in rows]


async def job_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(kind, state, count) of background jobs: the queue's depth."""
    rows = await session.execute(
        select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state)
    )
    return [(kind, state, count) for kind, state, count in rows]


async def delivery_counts(session: AsyncSession) -> list[tuple[str, int]]:
    """(state, count) of webhook deliveries to our users."""
    rows = await session.execute(
        select(WebhookDelivery.state, func.count()).group_by(WebhookDelivery.state)
    )
    return [(state, count) for state, count in rows]


async def recipient_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(campaign state, recipient state, count): campaign progress across workspaces."""
    rows = await session.execute(
        select(Campaign.state, CampaignRecipient.state, func.count())
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(Campaign.state.in_(["running", "paused", "scheduled"]))
        .group_by(Campaign.state, CampaignRecipient.state)
    )
    return [(campaign, recipient, count) for campaign, recipient, count in rows]
