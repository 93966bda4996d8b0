from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from skylight.kit.models import Base
from skylight.kit.time import utcnow

_QUEUED = text("applied_at IS NULL")


class InboxEntry(Base):
    """One messaging webhook, keyed by Unipile's ids: a redelivery is a no-op. Stored as it
    arrives (its body in `payload`), applied afterwards in batches (inbound.applier); once
    applied it keeps only its key, for the redeliveries."""

    __tablename__ = "unipile_inbox"
    __table_args__ = (
        # The queue: the few rows not applied yet, in arrival order.
        Index("ix_unipile_inbox_queued", "id", sqlite_where=_QUEUED, postgresql_where=_QUEUED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    account_id: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The webhook's JSON until it is applied; NULL `applied_at` means queued (an entry is a
    # record of an applied webhook unless queued explicitly, see InboxRepository.enqueue).
    payload: Mapped[str | None] = mapped_column(Text, default=None)
    applied_at: Mapped[datetime | None] = mapped_column(default=utcnow)
