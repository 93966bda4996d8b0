from __future__ import annotations

import re
from datetime import time
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

from skylight.campaigns.models import Campaign
from skylight.campaigns.types import CampaignState
from skylight.channels.types import ChannelType
from skylight.files.schemas import AttachmentOut, FileId
from skylight.kit.params import CleanStr, ResourceId, reject_nul
from skylight.kit.time import ApiDateTime

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
MAX_RECIPIENT_IDS = 10_000


def check_placeholders(template: str) -> str:
    unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(template)} - {"name"})
    if unknown:
        raise ValueError(f"unknown placeholder {{{{{unknown[0]}}}}}; only {{{{name}}}} exists")
    return template


def render(template: str, name: str) -> str:
    return PLACEHOLDER.sub(lambda _: name, template)


def naive_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give a local time without an offset (the workspace's time zone)")
    return value.replace(second=0, microsecond=0)


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(reject_nul),
]
Template = Annotated[
    CleanStr,
    StringConstraints(min_length=1, max_length=4000),
    AfterValidator(check_placeholders),
]
LocalTime = Annotated[time, AfterValidator(naive_time)]
HourMinute = Annotated[time, PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str)]


class RecipientFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Annotated[CleanStr, StringConstraints(max_length=100)] | None = Field(
        default=None, description="Search in name, phone, username (as GET /contacts?q=)."
    )


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    channel: ChannelType
    message: Template = Field(description="The text; {{name}} becomes the contact's name.")
    attachment: FileId | None = Field(
        default=None,
        description="One file (an id from POST /api/v1/files) sent with every message; it "
        "must suit the channel's limits.",
    )
    contact_ids: list[ResourceId] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_RECIPIENT_IDS,
        description="The recipients; or give `filter` instead.",
    )
    filter: RecipientFilter | None = Field(
        default=None, description="Every contact of the channel matching it, at creation."
    )
    daily_cap: int | None = Field(default=None, ge=1, le=100_000)
    quiet_hours_start: LocalTime | None = Field(
        default=None, description="HH:MM in the workspace's time zone; no sends from then..."
    )
    quiet_hours_end: LocalTime | None = Field(default=None, description="...until this HH:MM.")


class CampaignStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_at: AwareDatetime | None = Field(
        default=None, description="Later: the campaign is scheduled. Omitted or past: now."
    )


class Progress(BaseModel):
    total: int = 0
    pending: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = Field(default=0, description="Opted out: never messaged by this campaign.")


class CampaignOut(BaseModel):
    id: int
    name: str
    channel: ChannelType
    message: str
    attachment: AttachmentOut | None
    state: CampaignState
    pause_reason: str | None
    start_at: ApiDateTime | None
    daily_cap: int | None
    quiet_hours_start: HourMinute | None
    quiet_hours_end: HourMinute | None
    progress: Progress
    created_at: ApiDateTime
    updated_at: ApiDateTime
    started_at: ApiDateTime | None
    paused_at: ApiDateTime | None
    completed_at: ApiDateTime | None
    cancelled_at: ApiDateTime | None

    @classmethod
    def build(cls, campaign: Campaign, progress: Progress) -> CampaignOut:
        return cls(
            id=campaign.id,
            name=campaign.name,
            channel=campaign.channel,
            message=campaign.message,
            attachment=AttachmentOut.model_validate(campaign.file) if campaign.file else None,
            state=CampaignState(campaign.state),
            pause_reason=campaign.pause_reason,
            start_at=campaign.start_at,
            daily_cap=campaign.daily_cap,
            quiet_hours_start=campaign.quiet_hours_start,
            quiet_hours_end=campaign.quiet_hours_end,
            progress=progress,
            created_at=campaign.created_at,
            updated_at=campaign.updated_at,
            started_at=campaign.started_at,
            paused_at=campaign.paused_at,
            completed_at=campaign.completed_at,
            cancelled_at=campaign.cancelled_at,
        )
