"""Every query of the campaigns domain. API queries are scoped to a workspace; the send loop
(`Queue`) starts from a campaign id, as its job does."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, literal, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.campaigns.models import Campaign, CampaignRecipient, ChannelPacer
from skylight.campaigns.schemas import Progress
from skylight.campaigns.types import HOLDS_CHANNEL, OPTED_OUT, RecipientState
from skylight.channels.types import ChannelType
from skylight.contacts.models import Contact
from skylight.contacts.repository import ContactRepository
from skylight.kit.db import dialect_insert
from skylight.kit.repository import ScopedRepository
from skylight.workspaces.models import Workspace


async def progress_of(session: AsyncSession, campaign_ids: Collection[int]) -> dict[int, Progress]:
    found: dict[int, Progress] = {campaign_id: Progress() for campaign_id in campaign_ids}
    if not found:
        return found
    rows = await session.execute(
        select(CampaignRecipient.campaign_id, CampaignRecipient.state, func.count())
        .where(CampaignRecipient.campaign_id.in_(list(found)))
        .group_by(CampaignRecipient.campaign_id, CampaignRecipient.state)
    )
    for campaign_id, state, count in rows.all():
        progress = found[campaign_id]
        progress.total += count
        if state == RecipientState.SENT:
            progress.sent += count
        elif state == RecipientState.FAILED:
            progress.failed += count
        elif state == RecipientState.SKIPPED:
            progress.skipped += count
        else:  # pending, or sending: not settled yet
            progress.pending += count
    return found


class CampaignRepository(ScopedRepository[Campaign]):
    model = Campaign

    async def get(self, campaign_id: int, *, lock: bool = False) -> Campaign | None:
        query = self.scoped().where(Campaign.id == campaign_id)
        return await self.session.scalar(query.with_for_update() if lock else query)

    async def page(self, *, offset: int, limit: int) -> tuple[Sequence[Campaign], int]:
        scope = Campaign.workspace_id == self.workspace_id
        total = await self.session.scalar(select(func.count()).select_from(Campaign).where(scope))
        rows = await self.session.scalars(
            select(Campaign).where(scope).order_by(Campaign.id.desc()).offset(offset).limit(limit)
        )
        return rows.all(), int(total or 0)

    async def holding_channel(self, channel: ChannelType) -> str | None:
        """The name of a running or paused campaign on the channel (the oldest)."""
        return await self.session.scalar(
            select(Campaign.name)
            .where(
                Campaign.workspace_id == self.workspace_id,
                Campaign.channel == channel,
                Campaign.state.in_(list(HOLDS_CHANNEL)),
                # Paused because its send loop gave up: it lets go of the channel.
                Campaign.gave_up_at.is_(None),
            )
            .order_by(Campaign.id)
            .limit(1)
        )

    # Recipients, snapshotted from the contacts at creation.

    def _contacts(self, channel: ChannelType, q: str | None) -> list[ColumnElement[bool]]:
        # The same search as GET /contacts?q=, from the one place it is defined.
        return ContactRepository(self.session, self.workspace_id).filters(channel, q)

    async def count_contacts(self, channel: ChannelType, q: str | None) -> int:
        filters = self._contacts(channel, q)
        total = await self.session.scalar(select(func.count()).select_from(Contact).where(*filters))
        return int(total or 0)

    async def existing_contacts(self, channel: ChannelType, ids: Collection[int]) -> set[int]:
        rows = await self.session.scalars(
            select(Contact.id).where(*self._contacts(channel, None), Contact.id.in_(list(ids)))
        )
        return set(rows)

    async def add_recipients(
        self,
        campaign: Campaign,
        *,
        contact_ids: Collection[int] | None = None,
        q: str | None = None,
    ) -> None:
        """One row per contact, in one INSERT ... SELECT."""
        filters = self._contacts(campaign.channel, q)
        if contact_ids is not None:
            filters.append(Contact.id.in_(list(contact_ids)))
        opted_out = Contact.opted_out_at.is_not(None)
        chosen = (
            select(
                literal(campaign.id),
                Contact.id,
                # Opted-out contacts are recipients too, skipped from the start: the progress
                # shows them.
                case(
                    (opted_out, literal(RecipientState.SKIPPED.value)),
                    else_=literal(RecipientState.PENDING.value),
                ),
                case((opted_out, literal(OPTED_OUT)), else_=null()),
            )
            .where(*filters)
            .order_by(Contact.id)
        )
        await self.session.execute(
            dialect_insert(self.session, CampaignRecipient).from_select(
                ["campaign_id", "contact_id", "state", "error"], chosen
            )
        )


class Queue:
    """The send loop's queries: one campaign's recipients and its channel's pacer."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def campaign(self, campaign_id: int) -> Campaign | None:
        """Locked: transitions and other ticks of the campaign wait (PostgreSQL; SQLite's write
        lock already serialises them)."""
        return await self.session.scalar(
            select(Campaign).where(Campaign.id == campaign_id).with_for_update()
        )

    async def timezone(self, workspace_id: int) -> str:
        found = await self.session.scalar(
            select(Workspace.timezone).where(Workspace.id == workspace_id)
        )
        return found or "UTC"

    async def attempted_since(self, campaign_id: int, since: datetime) -> int:
        total = await self.session.scalar(
            select(func.count())
            .select_from(CampaignRecipient)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.attempted_at >= since,
            )
        )
        return int(total or 0)

    async def pacer(self, workspace_id: int, channel: ChannelType) -> ChannelPacer:
        """The channel's pacer, created on first use, locked until the transaction ends."""
        await self.session.execute(
            dialect_insert(self.session, ChannelPacer)
            .values(workspace_id=workspace_id, channel=channel)
            .on_conflict_do_nothing(index_elements=["workspace_id", "channel"])
        )
        pacer = await self.session.scalar(
            select(ChannelPacer)
            .where(ChannelPacer.workspace_id == workspace_id, ChannelPacer.channel == channel)
            .with_for_update()
        )
        assert pacer is not None
        return pacer

    async def next_pending(self, campaign_id: int) -> CampaignRecipient | None:
        return await self.session.scalar(
            select(CampaignRecipient)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.state == RecipientState.PENDING,
            )
            .order_by(CampaignRecipient.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    async def stuck(self, campaign_id: int, now: datetime) -> CampaignRecipient | None:
        """A recipient left sending past its lease: its sender died or gave up waiting."""
        return await self.session.scalar(
            select(CampaignRecipient)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.state == RecipientState.SENDING,
                CampaignRecipient.lease_until <= now,
            )
            .order_by(CampaignRecipient.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    async def earliest_lease(self, campaign_id: int) -> datetime | None:
        """When the next recipient still sending may be looked at; None when none is."""
        return await self.session.scalar(
            select(func.min(CampaignRecipient.lease_until)).where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.state == RecipientState.SENDING,
            )
        )

    async def revive_recipient(self, message_id: int) -> None:
        """The recipient of this message, counted failed, was sent after all."""
        await self.session.execute(
            update(CampaignRecipient)
            .where(
                CampaignRecipient.message_id == message_id,
                CampaignRecipient.state == RecipientState.FAILED,
            )
            .values(state=RecipientState.SENT, error=None)
        )

    async def settle(self, recipient_id: int, message_id: int, **values: object) -> bool:
        """Update a recipient still sending this message; False when it is no longer ours."""
        result = await self.session.execute(
            update(CampaignRecipient)
            .where(
                CampaignRecipient.id == recipient_id,
                CampaignRecipient.state == RecipientState.SENDING,
                CampaignRecipient.message_id == message_id,
            )
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))


class Admin:
    """Across workspaces, for the command line."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self, workspace_id: int | None) -> Sequence[Campaign]:
        query = select(Campaign).order_by(Campaign.id.desc())
        if workspace_id is not None:
            query = query.where(Campaign.workspace_id == workspace_id)
        return (await self.session.scalars(query)).all()

    async def get(self, campaign_id: int) -> Campaign | None:
        return await self.session.get(Campaign, campaign_id, populate_existing=True)
