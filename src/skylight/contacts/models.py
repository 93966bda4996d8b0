from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from skylight.channels.types import ChannelType, channel_type_enum
from skylight.kit.models import Base, TimestampMixin


class Contact(TimestampMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel", "handle"),
        Index("ix_contacts_workspace_id_id", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    channel: Mapped[ChannelType] = mapped_column(channel_type_enum())
    phone: Mapped[str | None] = mapped_column(String(20))
    username: Mapped[str | None] = mapped_column(String(64))
    # How the channel addresses this person (E.164 phone or lower-cased username); unique per
    # channel in a workspace. Derived from phone/username by the service.
    handle: Mapped[str] = mapped_column(String(64))
