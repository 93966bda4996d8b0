"""Batch deletes across workspaces. Each batch is its own short transaction (the caller's), so
retention never holds a long lock: writers wait at most one batch.

Two shapes: tables with an index on the time column delete "the oldest N past the cutoff"
directly; append-only tables without one (events, inbox, deliveries: an index there would cost
every insert) are walked in id order, which is their time order, from the oldest row, and the
walk stops at the first row inside the window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from skylight.contacts.import_schemas import FINISHED
from skylight.contacts.models import ContactImport
from skylight.events.models import Event
from skylight.idempotency.models import IdempotencyKey
from skylight.inbound.models import InboxEntry
from skylight.jobs.models import Job, JobState, WorkerBeat
from skylight.users.models import SignInFailure, UserSession
from skylight.webhooks.models import DeliveryState, WebhookDelivery


@dataclass(frozen=True)
class Walk:
    """An append-only table walked in id order; `keep` spares rows that must stay longer."""

    name: str
    table: Any
    id: InstrumentedAttribute[int]
    at: InstrumentedAttribute[datetime]
    keep: ColumnElement[bool] | None = None


@dataclass(frozen=True)
class Indexed:
    """A table whose rows past the window are found through an index."""

    name: str
    table: Any
    id: InstrumentedAttribute[int] | InstrumentedAttribute[str]
    expired: ColumnElement[bool]


def walks() -> Sequence[Walk]:
    return [
        # Entries still queued stay whatever their age (they are applied, then go).
        Walk(
            "unipile_inbox",
            InboxEntry,
            InboxEntry.id,
            InboxEntry.received_at,
            keep=InboxEntry.applied_at.is_(None),
        ),
        # Delivered ones (with their attempts, by cascade); failed ones stay for the log until
        # their event goes.
        Walk(
            "webhook_deliveries",
            WebhookDelivery,
            WebhookDelivery.id,
            WebhookDelivery.created_at,
            keep=WebhookDelivery.state != DeliveryState.SUCCEEDED,
        ),
        # Cascades to the deliveries and attempts still left of each event.
        Walk("events", Event, Event.id, Event.created_at),
        # Finished imports; one still under way stays whatever its age.
        Walk(
            "contact_imports",
            ContactImport,
            ContactImport.id,
            ContactImport.created_at,
            keep=ContactImport.state.not_in([state.value for state in FINISHED]),
        ),
    ]


def indexed(cutoffs: dict[str, datetime]) -> Sequence[Indexed]:
    return [
        Indexed(
            "idempotency_keys",
            IdempotencyKey,
            IdempotencyKey.id,
            IdempotencyKey.created_at < cutoffs["idempotency_keys"],
        ),
        Indexed(
            "jobs",
            Job,
            Job.id,
            (Job.state == JobState.FAILED) & (Job.finished_at < cutoffs["jobs"]),
        ),
        Indexed(
            "workers", WorkerBeat, WorkerBeat.name, WorkerBeat.heartbeat_at < cutoffs["workers"]
        ),
        Indexed(
            "user_sessions", UserSession, UserSession.id, UserSession.expires_at < cutoffs["now"]
        ),
        Indexed(
            "sign_in_failures",
            SignInFailure,
            SignInFailure.id,
            SignInFailure.created_at < cutoffs["sign_in_failures"],
        ),
    ]


async def delete_expired(session: AsyncSession, rule: Indexed, limit: int) -> int:
    """Delete up to `limit` expired rows; how many went."""
    ids = (await session.scalars(select(rule.id).where(rule.expired).limit(limit))).all()
    if ids:
        await session.execute(delete(rule.table).where(rule.id.in_(ids)))
    return len(ids)


@dataclass(frozen=True)
class Step:
    deleted: int
    # Where the next batch starts; None when the walk reached the window.
    next_after: int | None


async def walk_batch(
    session: AsyncSession, rule: Walk, after: int, cutoff: datetime, limit: int
) -> Step:
    columns = [rule.id, rule.at] + ([rule.keep.label("keep")] if rule.keep is not None else [])
    oldest = select(*columns).where(rule.id > after).order_by(rule.id).limit(limit)
    rows: list[tuple[Any, ...]] = [tuple(row) for row in await session.execute(oldest)]
    old = [row for row in rows if row[1] < cutoff]
    doomed = [row[0] for row in old if rule.keep is None or not row[2]]
    if doomed:
        await session.execute(delete(rule.table).where(rule.id.in_(doomed)))
    reached_window = len(old) < len(rows) or len(rows) < limit
    return Step(len(doomed), None if reached_window else int(rows[-1][0]))
