from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skylight.campaigns.types import CampaignState, RecipientState
from skylight.channels.types import ChannelType, channel_type_enum
from skylight.files.models import File
from skylight.kit.models import Base, TimestampMixin


class Campaign(TimestampMixin, Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_workspace_id_id", "workspace_id", "id"),
        # The disconnect guard: a running or paused campaign on a channel.
        Index("ix_campaigns_channel_state", "workspace_id", "channel", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    channel: Mapped[ChannelType] = mapped_column(channel_type_enum())
    # The template; {{name}} is replaced by each contact's name.
    message: Mapped[str] = mapped_column(Text)
    # One file sent with every message (files.id); it is kept while the campaign exists.
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"), default=None, index=True)
    # Shown with the campaign (CampaignOut.attachment): loaded with it, one IN query per batch.
    file: Mapped[File | None] = relationship(lazy="selectin", viewonly=True)
    state: Mapped[str] = mapped_column(String(16), default=CampaignState.DRAFT)
    pause_reason: Mapped[str | None] = mapped_column(Text, default=None)
    start_at: Mapped[datetime | None] = mapped_column(default=None)
    daily_cap: Mapped[int | None] = mapped_column(default=None)
    # Local times in the workspace's time zone; the end may be past midnight.
    quiet_hours_start: Mapped[time | None] = mapped_column(default=None)
    quiet_hours_end: Mapped[time | None] = mapped_column(default=None)
    # Bumped by start/resume/cancel: a tick job of an older generation stops by itself.
    generation: Mapped[int] = mapped_column(default=0)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Its send loop failed for good (the job's last attempt) and paused it; cleared on resume.
    # Such a campaign does not hold its channel (it may be disconnected).
    gave_up_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)


class CampaignRecipient(Base):
    """One contact of a campaign, snapshotted at creation: messaged at most once."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_campaign_recipients_queue", "campaign_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default=RecipientState.PENDING)
    # Linked in the same transaction that stores the message and marks the recipient sending.
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), default=None, index=True
    )
    # Sends of this recipient's message (the first, and any after an unconfirmed one).
    attempts: Mapped[int] = mapped_column(default=0)
    # While sending: nobody else looks at it before then (the sender may still be at work).
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    attempted_at: Mapped[datetime | None] = mapped_column(default=None)
    settled_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class ChannelPacer(Base):
    """When a workspace's channel may send its next campaign message: the connected account is
    what gets banned, so every campaign on the channel shares this one budget."""

    __tablename__ = "campaign_pacers"
    __table_args__ = (UniqueConstraint("workspace_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    channel: Mapped[ChannelType] = mapped_column(channel_type_enum())
    next_at: Mapped[datetime | None] = mapped_column(default=None)
