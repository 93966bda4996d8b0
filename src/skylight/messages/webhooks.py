"""Unipile messaging webhooks -> messages."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.integrations.unipile.schemas import MessagingWebhookPayload
from skylight.messages.ingest import Incoming, apply_receipt, ingest

RECEIPTS = {"message_delivered": "delivered", "message_read": "read"}


async def on_messaging(session: AsyncSession, payload: MessagingWebhookPayload) -> bool:
    if payload.event in RECEIPTS:
        return await apply_receipt(
            session,
            payload.account_id,
            payload.message_id,
            RECEIPTS[payload.event],
            payload.timestamp,
        )
    if payload.event != "message_received":
        return False
    from_account = payload.is_from_account
    if from_account:
        # The account wrote it: the other person is among the attendees.
        other = next(
            (
                a
                for a in payload.attendees
                if a.attendee_provider_id != payload.sender.attendee_provider_id
            ),
            None,
        )
    else:
        other = payload.sender
    return await ingest(
        session,
        Incoming(
            account_id=payload.account_id,
            chat_id=payload.chat_id,
            message_id=payload.message_id,
            text=payload.message,
            at=payload.timestamp,
            from_account=from_account,
            counterpart_id=other.attendee_provider_id if other else None,
            counterpart_name=other.attendee_name if other else None,
        ),
    )
