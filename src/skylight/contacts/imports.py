"""Bulk imports. Accepting one checks the upload as a whole, stores its rows and enqueues a job
in one short transaction; the job then works through the rows in batches, each batch its own
short transaction that upserts its contacts and records how far the import got. A job that
dies is taken over and goes on from the last committed batch (the rows before it are read
again, without the database, to know which contacts they named); importing the same rows again
creates nothing (an upsert by channel and normalised handle)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from itertools import islice
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.contacts import rows, uploads
from skylight.contacts.import_schemas import FINISHED, MAX_ROW_ERRORS, ContactImportOut, ImportState
from skylight.contacts.models import ContactImport
from skylight.contacts.repository import ContactRepository, ImportQueue, ImportRepository
from skylight.contacts.uploads import Source
from skylight.events.service import emit
from skylight.jobs.service import enqueue
from skylight.jobs.worker import RetryLater
from skylight.kit.db import Database
from skylight.kit.errors import NotFound
from skylight.kit.pagination import PageParams
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow

logger = logging.getLogger("skylight.contacts")

JOB_KIND = "contacts.import"
# Rows per transaction: a few milliseconds of SQLite's write lock each.
BATCH_ROWS = 500


async def accept(
    db: Database,
    workspace_id: int,
    data: bytes,
    fmt: str,
    filename: str | None = None,
    *,
    settings: Settings,
) -> ContactImport:
    """Check the upload as a whole (off the event loop: 100,000 rows take a moment), then store
    it with its job. A 422 names what is wrong with the file; bad rows are the import's to
    report."""
    parse = uploads.from_json if fmt == "json" else uploads.from_csv
    source = await asyncio.to_thread(parse, data, settings.contacts_import_max_rows)
    return await start(db, workspace_id, source, filename)


async def start(
    db: Database, workspace_id: int, source: Source, filename: str | None
) -> ContactImport:
    async with db.transaction() as session:
        job = await ImportRepository(session, workspace_id).add(
            ContactImport(
                workspace_id=workspace_id,
                state=ImportState.QUEUED,
                format=source.format,
                delimiter=source.delimiter,
                filename=filename[:255] if filename else None,
                total=source.total,
                source=source.data,
            )
        )
        await enqueue(
            session,
            JOB_KIND,
            {"import_id": job.id},
            dedupe_key=f"contacts-import:{job.id}",
            max_attempts=20,
            workspace_id=workspace_id,
        )
        return job


async def get_import(session: AsyncSession, workspace_id: int, import_id: int) -> ContactImport:
    job = await ImportRepository(session, workspace_id).get(import_id)
    if job is None:
        raise NotFound(f"Import {import_id} not found.")
    return job


async def list_imports(
    session: AsyncSession, workspace_id: int, page: PageParams
) -> tuple[Sequence[ContactImport], int]:
    return await ImportRepository(session, workspace_id).page(
        offset=page.offset, limit=page.per_page
    )


async def run_job(db: Database, payload: dict[str, Any], *, settings: Settings) -> None:
    # A run ends well within the job's lease and hands the rest back to the queue (the next
    # run goes on from the last batch), so the job is never taken over while it works.
    importer = Importer(db, int(payload["import_id"]), settings.job_lease_seconds / 4)
    try:
        await importer.run()
    except (RetryLater, DBAPIError):
        raise  # waits, and database trouble: the queue runs it again
    except Exception as exc:
        logger.exception("contact import %s failed", importer.import_id)
        await importer.fail(f"{type(exc).__name__}: {exc}")


class Importer:
    def __init__(self, db: Database, import_id: int, budget_seconds: float) -> None:
        self.db = db
        self.import_id = import_id
        self.budget = budget_seconds

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        ends = loop.time() + self.budget
        async with self.db.transaction() as session:
            queue = ImportQueue(session)
            job = await queue.lock(self.import_id)
            if job is None or job.state in FINISHED:
                return
            if job.state == ImportState.QUEUED:
                job.state, job.started_at = ImportState.RUNNING, utcnow()
            source = await queue.source(self.import_id)
            processed = job.processed
            fmt, delimiter = job.format, job.delimiter
        if source is None:
            raise RuntimeError("the import's rows are gone")
        reader = rows.records(source, fmt, delimiter)
        seen = rows.FirstSeen()
        for row in islice(reader, processed):
            rows.checked(row, seen)  # which contacts the committed rows named
        while True:
            batch = [rows.checked(row, seen) for row in islice(reader, BATCH_ROWS)]
            done = len(batch) < BATCH_ROWS
            async with self.db.transaction() as session:
                job = await ImportQueue(session).lock(self.import_id)
                if job is None or job.state != ImportState.RUNNING:
                    return  # deleted with its workspace, or finished by another run
                if job.processed != processed:
                    raise RetryLater(0.5, "another run of this import moved on")
                await _apply(session, job, batch)
                if done:
                    await _finish(session, job, ImportState.COMPLETED)
            processed += len(batch)
            if done:
                return
            if loop.time() > ends:
                raise RetryLater(0.0, "the import goes on in its next run")

    async def fail(self, reason: str) -> None:
        async with self.db.transaction() as session:
            job = await ImportQueue(session).lock(self.import_id)
            if job is not None and job.state not in FINISHED:
                job.error = reason[:2000]
                await _finish(session, job, ImportState.FAILED)


async def _apply(
    session: AsyncSession, job: ContactImport, batch: list[rows.Valid | rows.RowError]
) -> None:
    """Upsert the batch's contacts and count what happened, in the batch's transaction."""
    valid = [r for r in batch if isinstance(r, rows.Valid)]
    problems = [r for r in batch if isinstance(r, rows.RowError)]
    repo = ContactRepository(session, job.workspace_id)
    found: dict[str, Any] = {}
    for channel in {v.channel for v in valid}:
        handles = [v.handle for v in valid if v.channel is channel]
        for existing in await repo.existing(channel, handles):
            found[f"{channel.value}:{existing.handle}"] = existing
    now = utcnow()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for v in valid:
        old = found.get(v.key)
        if old is None:
            name = v.name or v.username or v.phone or v.handle
            new.append(
                {
                    "workspace_id": job.workspace_id,
                    "name": name,
                    "channel": v.channel,
                    "phone": v.phone,
                    "username": v.username,
                    "handle": v.handle,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        fields = (v.name or old.name, v.phone or old.phone, v.username or old.username)
        if fields != (old.name, old.phone, old.username):
            name, phone, username = fields
            changed.append(
                {
                    "contact_id": old.id,
                    "name": name,
                    "phone": phone,
                    "username": username,
                    "updated_at": now,
                }
            )
    await repo.insert_many(new)
    await repo.update_many(changed)
    job.processed += len(batch)
    job.created += len(new)
    job.updated += len(valid) - len(new)
    job.skipped += len(problems)
    kept = json.loads(job.row_errors)
    if problems and len(kept) < MAX_ROW_ERRORS:
        kept += [
            {"line": p.line, "field": p.field, "reason": p.reason}
            for p in problems[: MAX_ROW_ERRORS - len(kept)]
        ]
        job.row_errors = json.dumps(kept, ensure_ascii=False)


async def _finish(session: AsyncSession, job: ContactImport, state: ImportState) -> None:
    job.state, job.completed_at = state, utcnow()
    job.source = None  # the uploaded rows are not kept once they are contacts
    await session.flush()
    await emit(session, job.workspace_id, "contacts.imported", ContactImportOut.build(job))
