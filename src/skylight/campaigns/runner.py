"""The send loop of a running campaign: one durable job per campaign (and per start/resume),
which sends to one recipient per step and waits between steps as pacing says.

Each recipient is messaged at most once, whatever happens:
- a recipient moves pending -> sending with its message stored and linked in ONE transaction
  (campaigns.planning, with messages.service.prepare), so there is never a stored message
  without its recipient marked, nor a recipient marked without its message;
- Unipile is called with no transaction open, within a deadline shorter than the recipient's
  lease: once the lease has lapsed, nobody can still be sending it;
- a recipient found sending after its lease (its sender died, or Unipile did not confirm) is
  settled from its message if that was recorded (by us, or by its echo), and otherwise looked
  up at Unipile (campaigns.recovery): found, it is recorded as sent; not found, its same
  message row is sent again (at most MAX_SENDS times in all);
- each step and each transition locks the campaign's row, and a loop belongs to one generation
  of the campaign: pause, resume and cancel stop the old loop at its next step.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.campaigns import events, recovery
from skylight.campaigns.models import Campaign
from skylight.campaigns.planning import Hold, Plan, Planner, Recover, Send
from skylight.campaigns.repository import Queue
from skylight.campaigns.types import CampaignState, RecipientState
from skylight.files.storage import Storage
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileError
from skylight.jobs.service import enqueue
from skylight.jobs.worker import RetryLater
from skylight.kit.db import Database, is_unavailable
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from skylight.messages import transitions
from skylight.messages.models import Message
from skylight.messages.service import Route, complete
from skylight.messages.types import GAVE_UP_UNCONFIRMED, MessageStatus

logger = logging.getLogger("skylight.campaigns")

JOB_KIND = "campaigns.send"
# Sends of one recipient's message before it is given up as unconfirmed.
MAX_SENDS = 3
# Failed sends in a row before the campaign pauses itself (the account may be in trouble).
FAILURES_BEFORE_PAUSE = 5
# Pacer waits up to this long happen inside the job; longer ones hand it back to the queue.
INLINE_WAIT_SECONDS = 1.0
# After a send's deadline, before its outcome is looked up (Unipile may still be storing it).
SETTLE_GRACE = timedelta(seconds=2)


async def launch(session: AsyncSession, campaign: Campaign, run_at: datetime | None = None) -> None:
    """A new generation of the campaign's send loop, in the caller's transaction."""
    campaign.generation += 1
    await session.flush()
    await enqueue(
        session,
        JOB_KIND,
        {"campaign_id": campaign.id, "generation": campaign.generation},
        run_at=run_at,
        dedupe_key=f"campaign:{campaign.id}:{campaign.generation}",
        workspace_id=campaign.workspace_id,
        # Waiting is not an attempt (RetryLater); these count only unexpected errors.
        max_attempts=50,
    )


async def run_job(
    db: Database,
    unipile: UnipileClient,
    settings: Settings,
    payload: dict[str, Any],
    storage: Storage | None = None,
) -> None:
    runner = Runner(
        db,
        unipile,
        settings,
        int(payload["campaign_id"]),
        int(payload["generation"]),
        storage=storage,
    )
    await runner.run()


class Runner:
    def __init__(
        self,
        db: Database,
        unipile: UnipileClient,
        settings: Settings,
        campaign_id: int,
        generation: int,
        *,
        storage: Storage | None = None,
    ) -> None:
        self.db = db
        self.unipile = unipile
        self.storage = storage  # the bytes of the campaign's file
        self.settings = settings
        self.campaign_id = campaign_id
        # A run (its time budget, then at worst a lookup and a send) ends well within the job's
        # lease, so the job is not taken over while it still works.
        self.deadline = min(settings.campaign_send_timeout_seconds, settings.job_lease_seconds / 4)
        lease = timedelta(seconds=self.deadline) + SETTLE_GRACE
        self.lease = lease
        self.planner = Planner(settings, campaign_id, generation, lease)

    async def run(self) -> None:
        """Steps until the campaign stops, or until a longer wait or this run's time budget
        hands the job back to the queue (RetryLater) so other work gets its turn."""
        loop = asyncio.get_running_loop()
        budget_ends = loop.time() + self.settings.job_lease_seconds / 4
        while True:
            try:
                wait = await self.step()
            except DBAPIError as exc:
                if not is_unavailable(exc):  # a deadlock, the database away (a failover)
                    raise
                # Whatever was under way stays claimed and is recovered after its lease.
                logger.warning("campaign %s: database busy: %s", self.campaign_id, exc.orig)
                raise RetryLater(1.0, "database busy") from exc
            if wait is None:
                return
            if isinstance(wait, Hold):
                raise RetryLater(wait.seconds, "campaign waiting")
            if wait > INLINE_WAIT_SECONDS or loop.time() + wait > budget_ends:
                raise RetryLater(wait, "campaign pacing")
            await asyncio.sleep(wait)

    async def step(self) -> float | Hold | None:
        """One step: None when the loop should stop, else how long to wait before the next."""
        plan = await self.plan()
        if isinstance(plan, Send):
            await self._send(plan.recipient_id, plan.route, plan.text)
            return 0.0
        if isinstance(plan, Recover):
            await self._recover(plan)
            return 0.0
        return plan

    async def plan(self) -> Plan:
        """Decide the next step in one short transaction; a Send has claimed its recipient."""
        async with self.db.transaction() as session:
            return await self.planner.plan(session, utcnow())

    async def _send(self, recipient_id: int, route: Route, text: str) -> None:
        try:
            async with asyncio.timeout(self.deadline):
                message = await complete(self.db, self.unipile, route, text, self.storage)
        except TimeoutError:
            # Left sending: once its lease lapses, recovery looks it up at Unipile.
            logger.warning("campaign %s: message %s: no answer in time", *self._of(route))
            return
        await self._settle(recipient_id, route.message_id, message)

    async def _settle(self, recipient_id: int, message_id: int, message: Message) -> None:
        now = utcnow()
        status = MessageStatus(message.status)
        async with self.db.transaction() as session:
            queue = Queue(session)
            campaign = await queue.campaign(self.campaign_id)  # locked first, as in a step
            if status is MessageStatus.PENDING:
                # Unipile did not confirm: look it up once it had time to store it.
                await queue.settle(recipient_id, message_id, lease_until=now + self.lease)
                return
            sent = status is not MessageStatus.FAILED
            recorded = await queue.settle(
                recipient_id,
                message_id,
                state=RecipientState.SENT if sent else RecipientState.FAILED,
                settled_at=now,
                lease_until=None,
                error=None if sent else message.error,
            )
            if recorded and campaign is not None:
                await _count_outcome(session, campaign, sent, message.error, now)

    async def _recover(self, plan: Recover) -> None:
        route = plan.route
        try:
            async with asyncio.timeout(self.deadline):
                lookup = await recovery.look_up(self.unipile, route, plan.text, plan.since)
        except (UnipileError, TimeoutError) as exc:
            # Still sending, under the fresh lease: the next look comes after it.
            logger.warning("campaign %s: message %s: lookup failed: %r", *self._of(route), exc)
            return
        now = utcnow()
        async with self.db.transaction() as session:
            queue = Queue(session)
            campaign = await queue.campaign(self.campaign_id)
            if await recovery.claim_found(session, route, lookup):
                await queue.settle(
                    plan.recipient_id,
                    route.message_id,
                    state=RecipientState.SENT,
                    settled_at=now,
                    lease_until=None,
                )
                return
            if campaign is None or (campaign.state, campaign.generation) != (
                CampaignState.RUNNING,
                self.planner.generation,
            ):
                return  # paused or cancelled meanwhile: nothing new goes out
            if plan.sends >= MAX_SENDS:
                await transitions.failed(
                    session, route.workspace_id, route.message_id, GAVE_UP_UNCONFIRMED, now
                )
                await queue.settle(
                    plan.recipient_id,
                    route.message_id,
                    state=RecipientState.FAILED,
                    settled_at=now,
                    lease_until=None,
                    error=GAVE_UP_UNCONFIRMED,
                )
                return
            # Counted before it goes out, so a crash during it still counts; the lease renewed
            # to cover this send's deadline (the lookup used up part of the last one).
            await queue.settle(
                plan.recipient_id,
                route.message_id,
                attempts=plan.sends + 1,
                lease_until=now + self.lease,
            )
        logger.info("campaign %s: message %s never reached Unipile: sending it", *self._of(route))
        await self._send(plan.recipient_id, replace(route, chat_id=lookup.chat_id), plan.text)

    def _of(self, route: Route) -> tuple[int, int]:
        return self.campaign_id, route.message_id


async def _count_outcome(
    session: AsyncSession, campaign: Campaign, sent: bool, error: str | None, now: datetime
) -> None:
    if sent:
        campaign.consecutive_failures = 0
        return
    campaign.consecutive_failures += 1
    tripped = campaign.consecutive_failures >= FAILURES_BEFORE_PAUSE
    if tripped and campaign.state == CampaignState.RUNNING:
        reason = f"{campaign.consecutive_failures} sends in a row failed; the last: {error}"
        await events.pause(session, campaign, reason, now)


async def gave_up(session: AsyncSession, payload: dict[str, Any], error: str) -> None:
    """The campaign's job failed its last attempt (registered in background.py): the campaign
    is paused with the reason, not left running with nothing sending, and lets go of its
    channel. Resume starts a new send loop."""
    campaign = await Queue(session).campaign(int(payload["campaign_id"]))
    if campaign is None or campaign.generation != int(payload["generation"]):
        return
    if campaign.state not in (CampaignState.RUNNING, CampaignState.SCHEDULED):
        return
    now = utcnow()
    campaign.gave_up_at = now
    campaign.generation += 1  # nothing of the old loop may go on
    reason = f"Its send loop failed too often and stopped (the last error: {error}). Resume it."
    await events.pause(session, campaign, reason, now)
