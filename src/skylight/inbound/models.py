from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from skylight.kit.models import Base
from skylight.kit.time import utcnow


class InboxEntry(Base):
    """One messaging webhook we have applied, keyed by Unipile's ids: a redelivery is a no-op."""

    __tablename__ = "unipile_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    account_id: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
