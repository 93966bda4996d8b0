from __future__ import annotations

from skylight.contacts.service import get_contact
from skylight.kit.db import Database
from skylight.kit.pagination import PageParams
from skylight.messages.repository import MessageRepository
from skylight.messages.schemas import MessageOut
from skylight.messages.types import Direction


async def contact_history(
    db: Database, workspace_id: int, contact_id: int, page: PageParams, direction: Direction | None
) -> tuple[list[MessageOut], int]:
    """A contact's messages, newest first."""
    async with db.transaction() as session:
        await get_contact(session, workspace_id, contact_id)
        rows, total = await MessageRepository(session, workspace_id).history(
            contact_id, direction, offset=page.offset, limit=page.per_page
        )
        return [MessageOut.model_validate(m) for m in rows], total
