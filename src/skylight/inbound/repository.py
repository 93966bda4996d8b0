from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.inbound.models import InboxEntry
from skylight.kit.db import dialect_insert
from skylight.kit.time import utcnow


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, dedupe_key: str, account_id: str, event: str) -> bool:
        """Insert the key unless present; True when this delivery is the first. Race-free on
        both dialects (ON CONFLICT DO NOTHING), so two concurrent redeliveries apply once."""
        statement = (
            dialect_insert(self.session, InboxEntry)
            .values(dedupe_key=dedupe_key, account_id=account_id, event=event, received_at=utcnow())
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(InboxEntry.id)
        )
        return (await self.session.execute(statement)).scalar() is not None
