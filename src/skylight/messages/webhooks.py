"""Unipile messaging webhooks -> messages."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.integrations.unipile.attachments import read_attachments
from skylight.integrations.unipile.providers import username_from_profile_url
from skylight.integrations.unipile.schemas import MessagingWebhookPayload, WebhookAttendee
from skylight.messages.ingest import Incoming, apply_receipt, ingest


def _counterpart(payload: MessagingWebhookPayload, from_account: bool) -> WebhookAttendee | None:
    """The other person of the 1:1 chat."""
    if not from_account:
        return payload.sender
    # The account wrote it: the other person is the attendee that is neither the sender nor
    # the account itself (live payloads may list either, or both).
    ours = {
        payload.sender.attendee_provider_id if payload.sender else None,
        payload.account_info.user_id if payload.account_info else None,
    }
    return next((a for a in payload.attendees if a.attendee_provider_id not in ours), None)


async def on_messaging(session: AsyncSession, payload: MessagingWebhookPayload) -> bool:
    if payload.event == "message_read":
        # There is no delivered event: a read implies delivered (statuses only move forward),
        # and delivery alone is read from the message object by reconciliation.
        return await apply_receipt(
            session, payload.account_id, payload.message_id, "read", payload.timestamp
        )
    if payload.event != "message_received":
        return False  # reactions are not stored
    from_account = payload.is_from_account
    other = _counterpart(payload, from_account)
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
            counterpart_username=username_from_profile_url(other.attendee_profile_url)
            if other
            else None,
            attachments=read_attachments(payload.attachments),
        ),
    )
