from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, Field

from skylight.contacts.models import ContactImport
from skylight.kit.time import ApiDateTime

# Row errors kept per import (the count of skipped rows goes on).
MAX_ROW_ERRORS = 100


class ImportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


FINISHED = (ImportState.COMPLETED, ImportState.FAILED)


class RowErrorOut(BaseModel):
    line: int = Field(description="CSV: the line in the file (the header is 1). JSON: position.")
    field: str
    reason: str


class ContactImportOut(BaseModel):
    id: int
    state: ImportState
    format: str = Field(description="csv or json")
    filename: str | None
    total: int = Field(description="Rows in the upload (blank lines not counted).")
    processed: int
    created: int
    updated: int = Field(
        description="Rows that matched an existing contact and were applied to it."
    )
    skipped: int
    errors: list[RowErrorOut] = Field(description=f"The first {MAX_ROW_ERRORS} skipped rows.")
    error: str | None = Field(description="Why the import stopped, if it failed as a whole.")
    created_at: ApiDateTime
    started_at: ApiDateTime | None
    completed_at: ApiDateTime | None

    @classmethod
    def build(cls, job: ContactImport) -> ContactImportOut:
        return cls(
            id=job.id,
            state=ImportState(job.state),
            format=job.format,
            filename=job.filename,
            total=job.total,
            processed=job.processed,
            created=job.created,
            updated=job.updated,
            skipped=job.skipped,
            errors=[RowErrorOut(**e) for e in json.loads(job.row_errors)],
            error=job.error,
            created_at=job.created_at,
            started_at=job.started_at,
            completed_at=job.completed_at,
        )
