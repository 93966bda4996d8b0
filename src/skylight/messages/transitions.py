"""The message state machine: the only code that moves a message's status.

    pending ──▶ sent ──▶ delivered ──▶ read          (a receipt may skip a step)
       │          ▲          ▲           ▲
       └─▶ failed ┴──────────┴───────────┘           (revived: proof it went out after all)

Each move is ONE `UPDATE ... RETURNING` guarded by the states it may start from, so of two
writers racing only one moves the row, and a late or repeated signal (a second echo, a
delivered receipt after the read one) is a no-op. It runs in the caller's transaction, under the
workspace write lock (taken once per transaction, kit.locks), stamps the timestamps, and emits
the event built from the returned row: nothing is read back.

A failed message is revived only by proof that Unipile has it: its copy the account sent (by
webhook or reconciliation) or a receipt. Revivals are rare, and whoever cares (campaigns: a
recipient counted failed was sent after all) subscribes at start-up (`on_revived`)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.events.service import emit
from skylight.kit.locks import lock_workspace_writes
from skylight.messages.models import Message
from skylight.messages.repository import MessageRepository
from skylight.messages.schemas import MessageOut
from skylight.messages.types import Direction, MessageStatus

PENDING, SENT, DELIVERED, READ, FAILED = (
    MessageStatus.PENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.READ,
    MessageStatus.FAILED,
)
# Where each status may be reached from. Failed -> sent/delivered/read is the revival.
ALLOWED: dict[MessageStatus, frozenset[MessageStatus]] = {
    SENT: frozenset({PENDING, FAILED}),
    DELIVERED: frozenset({PENDING, SENT, FAILED}),
    READ: frozenset({PENDING, SENT, DELIVERED, FAILED}),
    FAILED: frozenset({PENDING}),
}

# (session, the revived message's id): in the transaction that revived it.
Revived = Callable[[AsyncSession, int], Awaitable[None]]
_revived: list[Revived] = []


def on_revived(subscriber: Revived) -> None:
    """Called at start-up (skylight.wiring)."""
    if subscriber not in _revived:
        _revived.append(subscriber)


async def _move(
    repo: MessageRepository,
    where: ColumnElement[bool],
    target: MessageStatus,
    values: dict[str, Any],
    *,
    revive: bool,
) -> tuple[Message | None, bool]:
    """The moved row and whether it was a revival. The ordinary move first (one statement on
    the hot path); a failed row only when reviving is allowed, as a second try."""
    origins = ALLOWED[target] - {FAILED}
    moved = await repo.move(where, origins, values)
    if moved is not None or not revive or FAILED not in ALLOWED[target]:
        return moved, False
    revived = await repo.move(where, {FAILED}, values)
    return revived, revived is not None


async def _emit(
    session: AsyncSession, moved: tuple[Message | None, bool], event: str
) -> Message | None:
    message, revived = moved
    if message is None:
        return None
    await emit(session, message.workspace_id, event, MessageOut.model_validate(message))
    if revived:
        for subscriber in _revived:
            await subscriber(session, message.id)
    return message


async def sent(
    session: AsyncSession,
    workspace_id: int,
    message_id: int,
    *,
    at: datetime,
    unipile_message_id: str | None,
    chat_id: str | None,
    revive: bool = False,
) -> Message | None:
    """Unipile has it: pending -> sent, or with `revive` (we know Unipile has it: its copy, a
    lookup) a failed one too. Records Unipile's ids (its message id unless another of our
    messages has it). None when it had moved on already, e.g. its echo came first."""
    await lock_workspace_writes(session, workspace_id)
    repo = MessageRepository(session, workspace_id)
    params = {"message_id": message_id, "at": at, "unipile_id": unipile_message_id}
    params["chat_id"] = chat_id
    with_ids = (unipile_message_id is not None, chat_id is not None)
    # From pending only, or failed: not from delivered/read (that would move it back).
    moved = await repo.run_move(_sent(ALLOWED[SENT] - {FAILED}, *with_ids), params)
    revived = False
    if moved is None and revive:
        moved = await repo.run_move(_sent(frozenset({FAILED}), *with_ids), params)
        revived = moved is not None
    return await _emit(session, (moved, revived), "message.sent")


@functools.cache
def _sent(origins: frozenset[MessageStatus], with_unipile_id: bool, with_chat: bool) -> Any:
    """The move to sent, built once per shape (the send path runs it for every message)."""
    values: dict[str, Any] = {
        "status": SENT,
        "sent_at": bindparam("at"),
        "error": None,
        "failed_at": None,
    }
    if with_unipile_id:
        values["unipile_message_id"] = MessageRepository.unless_taken(bindparam("unipile_id"))
    if with_chat:
        values["unipile_chat_id"] = bindparam("chat_id")
    return MessageRepository.moving(Message.id == bindparam("message_id"), origins, values)


async def failed(
    session: AsyncSession, workspace_id: int, message_id: int, error: str, at: datetime
) -> Message | None:
    """pending -> failed with the reason; None when it was not pending any more."""
    await lock_workspace_writes(session, workspace_id)
    repo = MessageRepository(session, workspace_id)
    values = {"status": FAILED, "error": error, "failed_at": at}
    moved = await _move(repo, Message.id == message_id, FAILED, values, revive=False)
    return await _emit(session, moved, "message.failed")


async def unconfirmed(
    session: AsyncSession, workspace_id: int, message_id: int, error: str
) -> Message | None:
    """Unipile did not answer in time: it stays pending (it may have gone out), with the reason
    shown until reconciliation or a campaign's lookup settles it. No event: nothing moved."""
    await lock_workspace_writes(session, workspace_id)
    return await MessageRepository(session, workspace_id).move(
        Message.id == message_id, {PENDING}, {"error": error}
    )


async def receipt(
    session: AsyncSession,
    workspace_id: int,
    unipile_message_id: str,
    target: MessageStatus,
    at: datetime,
) -> Message | None:
    """A delivered or read receipt for our outbound message: forward only (a delivered receipt
    after the read one is a no-op); one for a failed message revives it."""
    assert target in (DELIVERED, READ)
    await lock_workspace_writes(session, workspace_id)
    repo = MessageRepository(session, workspace_id)
    where = and_(
        Message.unipile_message_id == unipile_message_id,
        Message.direction == Direction.OUTBOUND,
    )
    values: dict[str, Any] = {
        "status": target,
        "error": None,
        "failed_at": None,
        "sent_at": func.coalesce(Message.sent_at, at),
        "delivered_at": func.coalesce(Message.delivered_at, at),
    }
    if target is READ:
        values["read_at"] = func.coalesce(Message.read_at, at)
    moved = await _move(repo, where, target, values, revive=True)
    return await _emit(session, moved, "message.status_updated")


async def inbound_read(
    session: AsyncSession, workspace_id: int, contact_id: int, at: datetime
) -> int:
    """The contact's inbound messages not read yet become read (the conversation was opened);
    how many. No event per message: the conversation's unread count is what changes."""
    await lock_workspace_writes(session, workspace_id)
    return await MessageRepository(session, workspace_id).mark_inbound_read(contact_id, at)
