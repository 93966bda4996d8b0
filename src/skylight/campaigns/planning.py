"""What a campaign does next, decided in one short transaction that holds the campaign's row:
stop, hold (start_at, quiet hours, daily cap), wait for the channel's pacer, send to the next
recipient (claimed here, with its message stored), or recover one left sending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.campaigns import events, pacing
from skylight.campaigns.models import Campaign, CampaignRecipient
from skylight.campaigns.repository import Queue
from skylight.campaigns.schemas import render
from skylight.campaigns.types import OPTED_OUT, CampaignState, RecipientState
from skylight.channels.models import Channel
from skylight.channels.repository import ChannelRepository
from skylight.channels.types import HEALTHY, ChannelType
from skylight.contacts.service import get_contact
from skylight.kit.settings import Settings
from skylight.messages.models import Message
from skylight.messages.repository import ChatRepository, MessageRepository
from skylight.messages.service import Route, attendee_id, prepare
from skylight.messages.types import MessageStatus

# Clocks differ: look at Unipile's messages from a little before ours was stored.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Send:
    recipient_id: int
    route: Route
    text: str


@dataclass(frozen=True)
class Recover:
    recipient_id: int
    route: Route
    text: str
    since: datetime
    sends: int


@dataclass(frozen=True)
class Hold:
    """Nothing to do before then: the job goes back to the queue meanwhile."""

    seconds: float


# Send, recover, wait for the channel's pacer (seconds), hold, or stop (None).
Plan = Send | Recover | float | Hold | None


def channel_problem(channel: Channel | None, channel_type: ChannelType) -> str | None:
    """Why a campaign cannot send on this channel now, or None."""
    label = channel_type.label
    if channel is None or channel.unipile_account_id is None or channel.connected_at is None:
        return f"The {label} channel is not connected. Connect it, then resume the campaign."
    if channel.status not in HEALTHY:
        return (
            f"The {label} channel left OK (sync_status {channel.sync_status}). Reconnect or "
            "refresh it, then resume the campaign."
        )
    return None


def skip(recipient: CampaignRecipient, now: datetime) -> None:
    recipient.state, recipient.error, recipient.settled_at = RecipientState.SKIPPED, OPTED_OUT, now


def settle_row(recipient: CampaignRecipient, sent: bool, error: str | None, now: datetime) -> None:
    recipient.state = RecipientState.SENT if sent else RecipientState.FAILED
    recipient.error = error
    recipient.settled_at = now
    recipient.lease_until = None


@dataclass(frozen=True)
class Planner:
    settings: Settings
    campaign_id: int
    generation: int
    # How long a claimed recipient is left to its sender before anyone else looks at it.
    lease: timedelta

    def _hold(self, wait: timedelta) -> Hold:
        # Long waits are cut short, so a waiting campaign still notices its channel dropping.
        seconds = min(max(wait.total_seconds(), 0.01), self.settings.campaign_recheck_seconds)
        return Hold(seconds)

    async def plan(self, session: AsyncSession, now: datetime) -> Plan:
        queue = Queue(session)
        campaign = await queue.campaign(self.campaign_id)  # locked until the step commits
        if campaign is None or campaign.generation != self.generation:
            return None
        if campaign.state == CampaignState.SCHEDULED:
            if campaign.start_at is not None and campaign.start_at > now:
                return self._hold(campaign.start_at - now)
            campaign.state, campaign.started_at = CampaignState.RUNNING, now
        if campaign.state != CampaignState.RUNNING:
            return None
        workspace_id = campaign.workspace_id
        channel = await ChannelRepository(session, workspace_id).get(campaign.channel)
        problem = channel_problem(channel, campaign.channel)
        if problem is not None:
            await events.pause(session, campaign, problem, now)
            return None
        assert channel is not None
        assert channel.unipile_account_id is not None
        tz = pacing.zone(await queue.timezone(workspace_id))
        quiet = pacing.quiet_hours_wait(
            now, tz, campaign.quiet_hours_start, campaign.quiet_hours_end
        )
        if quiet:
            return self._hold(quiet)
        if campaign.daily_cap is not None:
            today = await queue.attempted_since(campaign.id, pacing.day_start(now, tz))
            capped = pacing.daily_cap_wait(now, tz, today, campaign.daily_cap)
            if capped:
                return self._hold(capped)
        pacer = await queue.pacer(workspace_id, campaign.channel)
        wait = pacing.pacer_wait(now, pacer.next_at)
        if wait:
            return wait.total_seconds()
        rate = pacing.rate_per_minute(self.settings, campaign.channel)
        turn = now + pacing.gap(rate, self.settings.campaign_jitter)
        stuck = await queue.stuck(campaign.id, now)
        if stuck is not None:
            pacer.next_at = turn  # a look at Unipile may end in sending it again
            return await self._take_over(session, campaign, channel.unipile_account_id, stuck, now)
        recipient = await queue.next_pending(campaign.id)
        if recipient is None:
            lease = await queue.earliest_lease(campaign.id)
            if lease is not None:  # a send whose outcome is not known yet
                return self._hold(lease - now)
            await events.complete(session, campaign, now)
            return None
        contact = await get_contact(session, workspace_id, recipient.contact_id)
        if contact.opted_out_at is not None:  # opted out since the campaign was created
            skip(recipient, now)
            return 0.0
        text = render(campaign.message, contact.name)
        files = [campaign.file] if campaign.file is not None else []
        prepared = await prepare(session, workspace_id, contact.id, text, files)
        # The recipient is locked (FOR UPDATE SKIP LOCKED; SQLite: the write lock): marking it
        # here cannot race another step, and commits together with its message.
        recipient.attempted_at, recipient.attempts = now, 1
        if isinstance(prepared, Message):  # refused on our side: recorded, never sent
            recipient.message_id = prepared.id
            settle_row(recipient, False, prepared.error, now)
            return 0.0
        recipient.message_id = prepared.message_id
        recipient.state = RecipientState.SENDING
        recipient.lease_until = now + self.lease
        pacer.next_at = turn
        return Send(recipient.id, prepared, text)

    async def _take_over(
        self,
        session: AsyncSession,
        campaign: Campaign,
        account_id: str,
        recipient: CampaignRecipient,
        now: datetime,
    ) -> Plan:
        """A recipient left sending past its lease: settle it from its message if that says
        how it went, or plan a look at Unipile (under a fresh lease)."""
        workspace_id = campaign.workspace_id
        message = None
        if recipient.message_id is not None:
            message = await MessageRepository(session, workspace_id).get(recipient.message_id)
        if message is None:
            settle_row(recipient, False, "Its message was deleted before it was confirmed.", now)
            return 0.0
        status = MessageStatus(message.status)
        if status is not MessageStatus.PENDING or message.unipile_message_id is not None:
            # Recorded after all (our own record, or its echo by webhook or reconciliation).
            sent = status is not MessageStatus.FAILED
            settle_row(recipient, sent, None if sent else message.error, now)
            return 0.0
        recipient.lease_until = now + self.lease
        contact = await get_contact(session, workspace_id, recipient.contact_id)
        chat = await ChatRepository(session, workspace_id).for_contact(contact.id, account_id)
        route = Route(
            workspace_id=workspace_id,
            message_id=message.id,
            contact_id=contact.id,
            account_id=account_id,
            chat_id=chat.unipile_chat_id if chat else None,
            attendee_id=chat.attendee_provider_id if chat else attendee_id(contact),
            has_attachments=campaign.file_id is not None,
        )
        since = message.created_at - CLOCK_SKEW
        return Recover(recipient.id, route, message.content, since, recipient.attempts)
