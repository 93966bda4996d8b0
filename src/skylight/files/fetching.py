"""Fetching a received attachment's bytes from Unipile: by the `files.fetch` job soon after the
message arrives, or on demand when someone asks for the file first. Either may run twice (a job
taken over, a download racing the job): both store the same bytes under the same key, and only
the first moves the file from pending.

Unipile answering 404 (or with something unusable) makes the file unavailable at once; a
transient failure is retried after each delay of `files_fetch_retry_seconds`, then the file is
unavailable too. Its message is never touched: it was stored when it arrived."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from skylight.files.models import FileStatus
from skylight.files.repository import FileStore
from skylight.files.sniff import OCTET_STREAM, sniff
from skylight.files.storage import Storage, StorageError
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import (
    UnipileError,
    UnipileNotFound,
    UnipilePermanentError,
    UnipileProtocolError,
)
from skylight.jobs.worker import RetryLater
from skylight.kit.db import Database
from skylight.kit.logging import workspace_id_var
from skylight.kit.settings import Settings

logger = logging.getLogger("skylight.files")
FETCH_JOB = "files.fetch"
GONE_AT_UNIPILE = "Unipile no longer has this file."


async def fetch(
    db: Database,
    unipile: UnipileClient,
    storage: Storage,
    settings: Settings,
    file_id: int,
    *,
    retries: int | None = None,
) -> str | None:
    """Fetch and store a pending file; its status after (None: it was deleted). Raises
    UnipileError or StorageError when worth trying again. `retries`: the client's retries of
    the download (a job retrying on its own schedule asks for none)."""
    async with db.transaction() as session:
        file = await FileStore(session).by_id(file_id)
        if file is None or file.status != FileStatus.PENDING:
            return file.status if file else None
        assert file.unipile_message_id is not None
        assert file.unipile_attachment_id is not None
        message_id, attachment_id = file.unipile_message_id, file.unipile_attachment_id
        key = f"{file.workspace_id}/{file.public_id}"
        name, hinted = file.filename, file.content_type
    # The workspace this call is for: its logs, and a sandbox's faults (sandbox.tenancy).
    token = workspace_id_var.set(file.workspace_id)
    try:
        data = await unipile.download_attachment(
            message_id, attachment_id, max_bytes=settings.files_max_received_bytes, retries=retries
        )
    except (UnipilePermanentError, UnipileProtocolError) as exc:
        reason = GONE_AT_UNIPILE if isinstance(exc, UnipileNotFound) else _reason(exc)
        async with db.transaction() as session:
            await FileStore(session).unavailable(file_id, reason)
        return FileStatus.UNAVAILABLE
    finally:
        workspace_id_var.reset(token)
    sniffed = sniff(data, name)
    await storage.put(key, data)
    async with db.transaction() as session:
        store = FileStore(session)
        settled = await store.fetched(
            file_id,
            content_type=hinted if sniffed == OCTET_STREAM else sniffed,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage_key=key,
        )
        gone = not settled and await store.by_id(file_id) is None
    if gone:
        # Its message was deleted and the sweep took the row while we downloaded: it found no
        # bytes to delete then, so these would stay in storage for ever. The key is this
        # file's alone.
        await storage.delete(key)
        return None
    return FileStatus.READY


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnipileError):
        return f"Unipile could not give us this file: {exc.detail or exc.title or exc.message}"
    return f"The file could not be stored: {exc}"


async def run_job(
    db: Database,
    unipile: UnipileClient,
    storage: Storage,
    settings: Settings,
    payload: dict[str, Any],
) -> None:
    file_id = int(payload["file_id"])
    try:
        # One try per attempt: the attempts are this job's, on files_fetch_retry_seconds.
        await fetch(db, unipile, storage, settings, file_id, retries=0)
    except (UnipileError, StorageError) as exc:
        reason = _reason(exc)
        schedule = settings.files_fetch_retry_seconds
        async with db.transaction() as session:
            store = FileStore(session)
            attempts = await store.failed_attempt(file_id, reason)
            if attempts == 0:  # deleted meanwhile (its message went)
                return
            if attempts > len(schedule):
                logger.warning(
                    "file %s unavailable after %s attempts: %s", file_id, attempts, reason
                )
                await store.unavailable(file_id, f"{reason} (gave up after {attempts} attempts)")
                return
        raise RetryLater(schedule[attempts - 1], reason) from exc
