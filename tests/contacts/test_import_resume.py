"""An import cut short (its worker died, or it handed its job back) goes on from its last
committed batch: nothing counted twice, and in-file duplicates still found across the cut."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from skylight.contacts import uploads
from skylight.contacts.imports import BATCH_ROWS, Importer, run_job
from skylight.contacts.models import ContactImport
from skylight.contacts.repository import ImportQueue, ImportRepository
from skylight.events.models import Event
from skylight.jobs.worker import RetryLater
from skylight.kit.db import Database
from tests.contacts.helpers import customer_list, phone
from tests.factories import TenantFixture

pytestmark = pytest.mark.both_databases


async def _stored(db: Database, workspace_id: int, text: str) -> int:
    """The import as POST /contacts/imports stores it, but with no job: this test runs it."""
    source = uploads.from_csv(text.encode(), 100_000)
    async with db.transaction() as session:
        job = await ImportRepository(session, workspace_id).add(
            ContactImport(
                workspace_id=workspace_id,
                state="queued",
                format=source.format,
                delimiter=source.delimiter,
                total=source.total,
                source=source.data,
            )
        )
        return job.id


async def _row(db: Database, import_id: int) -> ContactImport:
    async with db.transaction() as session:
        job = await ImportQueue(session).lock(import_id)
        assert job is not None
        return job


async def test_an_import_goes_on_from_its_last_batch(app: FastAPI, tenant: TenantFixture) -> None:
    db: Database = app.state.db
    crm = customer_list(2 * BATCH_ROWS + 100, invalid=3, duplicates=2)
    # The last row names the first row's contact again: found although a new run reads it.
    text = crm.text + f"Again,whatsapp,{phone(0)},,\n"
    last_line = 2 * BATCH_ROWS + 100 + 2
    import_id = await _stored(db, tenant.workspace_id, text)

    # No time left after each batch: each run hands the job back, as at the end of its budget.
    for expected in (BATCH_ROWS, 2 * BATCH_ROWS):
        with pytest.raises(RetryLater):
            await Importer(db, import_id, budget_seconds=0).run()
        job = await _row(db, import_id)
        assert (job.state, job.processed) == ("running", expected)
    await Importer(db, import_id, budget_seconds=0).run()

    job = await _row(db, import_id)
    assert job.state == "completed"
    assert (job.total, job.processed) == (2 * BATCH_ROWS + 101, 2 * BATCH_ROWS + 101)
    assert (job.created, job.updated, job.skipped) == (crm.good, 0, 6)
    async with db.transaction() as session:
        assert await ImportQueue(session).source(import_id) is None  # not kept once done
    assert f'"line": {last_line}' in job.row_errors
    assert "Duplicate of line 2" in job.row_errors

    # A run of a finished import (a job run twice) changes nothing.
    await Importer(db, import_id, budget_seconds=0).run()
    again = await _row(db, import_id)
    assert (again.created, again.updated, again.processed) == (job.created, 0, job.processed)


async def test_an_import_that_cannot_go_on_fails_visibly(
    app: FastAPI, tenant: TenantFixture
) -> None:
    """Rows that cannot be read (here: bytes that are not UTF-8, which an upload never lets
    through) end the import as failed, with the reason and its event: never silently stuck."""
    db: Database = app.state.db
    async with db.transaction() as session:
        job = await ImportRepository(session, tenant.workspace_id).add(
            ContactImport(
                workspace_id=tenant.workspace_id,
                state="queued",
                format="csv",
                total=1,
                source=b"channel,phone\nwhatsapp,\xff\xfe\n",
            )
        )
    await run_job(db, {"import_id": job.id}, settings=app.state.settings)
    failed = await _row(db, job.id)
    assert failed.state == "failed"
    assert failed.error is not None
    assert failed.error.startswith("UnicodeDecodeError")
    async with db.read() as session:
        kinds = await session.scalars(
            select(Event.data).where(
                Event.workspace_id == tenant.workspace_id, Event.type == "contacts.imported"
            )
        )
        [data] = [json.loads(d) for d in kinds]
    assert (data["id"], data["state"]) == (job.id, "failed")
