from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from skylight.channels.types import ALIVE, ChannelType, SyncStatus, channel_type_enum
from skylight.kit.models import Base, TimestampMixin


class Channel(TimestampMixin, Base):
    """A workspace's setting for one channel type, and the Unipile account behind it."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("workspace_id", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    type: Mapped[ChannelType] = mapped_column(channel_type_enum())
    unipile_account_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    username: Mapped[str | None] = mapped_column(String(255))
    sync_status: Mapped[str] = mapped_column(String(16), default=SyncStatus.CONNECTING.value)
    # Set once Unipile has created the account (QR scanned, credentials or 2FA accepted).
    connected_at: Mapped[datetime | None] = mapped_column(default=None)
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    # Messages up to here were caught up from Unipile's lists (see messages.reconcile).
    reconciled_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def status(self) -> SyncStatus:
        return SyncStatus(self.sync_status)

    @property
    def is_connected(self) -> bool:
        return (
            self.unipile_account_id is not None
            and self.connected_at is not None
            and self.status in ALIVE
        )


class AttemptState:
    PENDING = "pending"
    CONNECTED = "connected"
    FAILED = "failed"
    REPLACED = "replaced"
    EXPIRED = "expired"


class ChannelAttempt(TimestampMixin, Base):
    """One try at connecting an account (a QR code, or Instagram credentials and their 2FA).

    Kept after it ends so `status?account_id=` can say how it ended."""

    __tablename__ = "channel_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[ChannelType] = mapped_column(channel_type_enum())
    unipile_account_id: Mapped[str] = mapped_column(String(128), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=AttemptState.PENDING)
    checkpoint_type: Mapped[str | None] = mapped_column(String(32))
    qr_code: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime]

    @property
    def pending(self) -> bool:
        return self.state == AttemptState.PENDING
