from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from skylight.kit.models import Base
from skylight.kit.time import utcnow


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_workspace", "workspace_id", "id"),
        Index("ix_events_workspace_type", "workspace_id", "type", "id"),
    )

    # Increasing per workspace in commit order (see events.service.emit): the stream's cursor.
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    # The object as the API returns it, as JSON.
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def public_id(self) -> str:
        return f"evt_{self.id}"
