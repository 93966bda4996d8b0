"""Unipile messaging webhooks -> messages."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.integrations.unipile.attachments import read_attachments
from skylight.integrations.unipile.providers import username_from_profile_url
from skylight.integrations.unipile.schemas import MessagingWebhookPayload, WebhookAttendee
from skylight.messages.ingest import Incoming, apply_receipt, ingest
from skylight.messages.ingest_batch import IngestBatch


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


def _incoming(payload: MessagingWebhookPayload) -> Incoming:
    from_account = payload.is_from_account
    other = _counterpart(payload, from_account)
    return Incoming(
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
    )


async def _read(session: AsyncSession, payload: MessagingWebhookPayload) -> bool:
    # There is no delivered event: a read implies delivered (statuses only move forward),
    # and delivery alone is read from the message object by reconciliation.
    return await apply_receipt(
        session, payload.account_id, payload.message_id, "read", payload.timestamp
    )


async def on_messaging(session: AsyncSession, payload: MessagingWebhookPayload) -> bool:
    if payload.event == "message_read":
        return await _read(session, payload)
    if payload.event != "message_received":
        return False  # reactions are not stored
    return await ingest(session, _incoming(payload))


async def on_messaging_many(
    session: AsyncSession, payloads: Sequence[MessagingWebhookPayload]
) -> None:
    """`on_messaging` for each, in order, in one transaction (messages.ingest_batch)."""
    batch = IngestBatch(session, [p.chat_id for p in payloads])
    for payload in payloads:
        if payload.event == "message_received":
            await batch.add(_incoming(payload))
        elif payload.event == "message_read":
            await batch.flush()
            await _read(session, payload)
    await batch.flush()
