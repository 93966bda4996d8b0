"""The message events, emitted in the transaction of the change they describe."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.service import emit
from skylight.messages.models import Message
from skylight.messages.schemas import MessageOut


async def message_event(session: AsyncSession, message: Message, type: str) -> None:
    await session.flush()
    await session.refresh(message)
    await emit(session, message.workspace_id, type, MessageOut.model_validate(message))


async def message_event_by_id(session: AsyncSession, message_id: int, type: str) -> None:
    message = await session.get(Message, message_id)
    if message is not None:
        await message_event(session, message, type)
