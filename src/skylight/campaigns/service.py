"""Campaign rules for the API: create (recipients snapshotted), read, and the transitions.

Start and resume enqueue the campaign's send loop (campaigns.runner) in the same transaction as
the state change, so the loop exists if and only if the change commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.campaigns import events, planning, runner
from skylight.campaigns.models import Campaign
from skylight.campaigns.repository import Admin, CampaignRepository, progress_of
from skylight.campaigns.schemas import CampaignCreate, CampaignOut
from skylight.campaigns.types import CampaignState
from skylight.channels.repository import ChannelRepository
from skylight.channels.types import ChannelType
from skylight.files.service import for_send
from skylight.kit.errors import Conflict, NotFound, Unprocessable, field_error
from skylight.kit.pagination import PageParams
from skylight.kit.time import utcnow

MAX_RECIPIENTS = 50_000

# Which states each action may start from.
ALLOWED = {
    "start": {CampaignState.DRAFT},
    "pause": {CampaignState.RUNNING},
    "resume": {CampaignState.PAUSED},
    "cancel": {
        CampaignState.DRAFT,
        CampaignState.SCHEDULED,
        CampaignState.RUNNING,
        CampaignState.PAUSED,
    },
}
PAST = {"start": "started", "pause": "paused", "resume": "resumed", "cancel": "cancelled"}


async def create_campaign(session: AsyncSession, workspace_id: int, data: CampaignCreate) -> int:
    _check_fields(data)
    repo = CampaignRepository(session, workspace_id)
    if data.contact_ids is not None:
        wanted = set(data.contact_ids)
        missing = sorted(wanted - await repo.existing_contacts(data.channel, wanted))
        if missing:
            shown = ", ".join(str(i) for i in missing[:20]) + (" ..." if len(missing) > 20 else "")
            raise Unprocessable(
                "Some recipients are not contacts of this channel.",
                errors=field_error(
                    "contact_ids", f"No {data.channel.value} contact with id {shown}."
                ),
            )
        q = None
    else:
        assert data.filter is not None
        q = data.filter.q
        count = await repo.count_contacts(data.channel, q)
        if count == 0:
            raise Unprocessable(
                "No contact matches the filter.",
                errors=field_error("filter", f"No {data.channel.value} contact matches."),
            )
        if count > MAX_RECIPIENTS:
            raise Unprocessable(
                "Too many recipients.",
                errors=field_error("filter", f"{count} contacts match; at most {MAX_RECIPIENTS}."),
            )
    file_id = None
    if data.attachment is not None:
        [file] = await for_send(
            session, workspace_id, [data.attachment], data.channel, field="attachment"
        )
        file_id = file.id
    campaign = await repo.add(
        Campaign(
            workspace_id=workspace_id,
            name=data.name,
            channel=data.channel,
            message=data.message,
            file_id=file_id,
            state=CampaignState.DRAFT,
            daily_cap=data.daily_cap,
            quiet_hours_start=data.quiet_hours_start,
            quiet_hours_end=data.quiet_hours_end,
        )
    )
    await repo.add_recipients(campaign, contact_ids=data.contact_ids, q=q)
    return campaign.id


def _check_fields(data: CampaignCreate) -> None:
    if (data.contact_ids is None) == (data.filter is None):
        message = "Give the recipients as contact_ids or as a filter, not both."
        raise Unprocessable(
            message,
            errors={"contact_ids": [message], "filter": [message]},
        )
    if (data.quiet_hours_start is None) != (data.quiet_hours_end is None):
        field = "quiet_hours_end" if data.quiet_hours_end is None else "quiet_hours_start"
        raise Unprocessable(
            "Quiet hours need a start and an end.",
            errors=field_error(field, "Required with the other quiet_hours field."),
        )
    if data.quiet_hours_start is not None and data.quiet_hours_start == data.quiet_hours_end:
        raise Unprocessable(
            "Quiet hours cannot start and end at the same time.",
            errors=field_error("quiet_hours_end", "Must differ from quiet_hours_start."),
        )


async def get_campaign(session: AsyncSession, workspace_id: int, campaign_id: int) -> CampaignOut:
    campaign = await _campaign(CampaignRepository(session, workspace_id), campaign_id)
    progress = await progress_of(session, [campaign.id])
    return CampaignOut.build(campaign, progress[campaign.id])


async def list_campaigns(
    session: AsyncSession, workspace_id: int, page: PageParams
) -> tuple[Sequence[CampaignOut], int]:
    rows, total = await CampaignRepository(session, workspace_id).page(
        offset=page.offset, limit=page.per_page
    )
    progress = await progress_of(session, [c.id for c in rows])
    return [CampaignOut.build(c, progress[c.id]) for c in rows], total


async def _campaign(repo: CampaignRepository, campaign_id: int, *, lock: bool = False) -> Campaign:
    campaign = await repo.get(campaign_id, lock=lock)
    if campaign is None:
        raise NotFound(f"Campaign {campaign_id} not found.")
    return campaign


async def _for(session: AsyncSession, workspace_id: int, campaign_id: int, action: str) -> Campaign:
    """The campaign, locked, if the action is allowed from its state; 409 naming it if not."""
    campaign = await _campaign(CampaignRepository(session, workspace_id), campaign_id, lock=True)
    if campaign.state not in ALLOWED[action]:
        raise Conflict(
            f"Campaign {campaign_id} is {campaign.state}; it cannot be {PAST[action]}.",
            data={"state": campaign.state},
        )
    return campaign


async def _ensure_channel_ready(session: AsyncSession, campaign: Campaign) -> None:
    channel = await ChannelRepository(session, campaign.workspace_id).get(campaign.channel)
    problem = planning.channel_problem(channel, campaign.channel)
    if problem is not None:
        raise Unprocessable(problem, errors=field_error("channel", problem))


async def start(
    session: AsyncSession, workspace_id: int, campaign_id: int, start_at: datetime | None
) -> CampaignOut:
    campaign = await _for(session, workspace_id, campaign_id, "start")
    now = utcnow()
    later = start_at is not None and start_at > now
    if not later:
        # A scheduled campaign's channel is checked when it starts (it pauses if not OK).
        await _ensure_channel_ready(session, campaign)
    campaign.start_at = start_at if later else None
    campaign.state = CampaignState.SCHEDULED if later else CampaignState.RUNNING
    campaign.started_at = None if later else now
    await runner.launch(session, campaign, run_at=campaign.start_at)
    return await get_campaign(session, workspace_id, campaign_id)


async def pause(session: AsyncSession, workspace_id: int, campaign_id: int) -> CampaignOut:
    campaign = await _for(session, workspace_id, campaign_id, "pause")
    await events.pause(session, campaign, "Paused by request.", utcnow())
    return await get_campaign(session, workspace_id, campaign_id)


async def resume(session: AsyncSession, workspace_id: int, campaign_id: int) -> CampaignOut:
    campaign = await _for(session, workspace_id, campaign_id, "resume")
    await _ensure_channel_ready(session, campaign)
    campaign.state = CampaignState.RUNNING
    campaign.pause_reason = None
    campaign.paused_at = None
    campaign.gave_up_at = None
    campaign.consecutive_failures = 0
    await runner.launch(session, campaign)
    return await get_campaign(session, workspace_id, campaign_id)


async def cancel(session: AsyncSession, workspace_id: int, campaign_id: int) -> CampaignOut:
    campaign = await _for(session, workspace_id, campaign_id, "cancel")
    campaign.state = CampaignState.CANCELLED
    campaign.cancelled_at = utcnow()
    campaign.generation += 1  # the send loop stops at its next step
    return await get_campaign(session, workspace_id, campaign_id)


# The command line (an operator's view, across workspaces).


async def all_campaigns(session: AsyncSession, workspace_id: int | None) -> list[CampaignOut]:
    rows = await Admin(session).all(workspace_id)
    progress = await progress_of(session, [c.id for c in rows])
    return [CampaignOut.build(c, progress[c.id]) for c in rows]


async def any_campaign(session: AsyncSession, campaign_id: int) -> CampaignOut:
    campaign = await Admin(session).get(campaign_id)
    if campaign is None:
        raise NotFound(f"Campaign {campaign_id} not found.")
    progress = await progress_of(session, [campaign.id])
    return CampaignOut.build(campaign, progress[campaign.id])


async def channel_in_use(
    session: AsyncSession, workspace_id: int, channel: ChannelType
) -> str | None:
    """The disconnect guard (registered in skylight.wiring): a running or paused campaign keeps
    its channel connected."""
    name = await CampaignRepository(session, workspace_id).holding_channel(channel)
    if name is None:
        return None
    return f"The outreach campaign '{name}' is running or paused on this channel. Cancel it first."
