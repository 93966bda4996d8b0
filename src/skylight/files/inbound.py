"""Attachments of received messages: recorded with what Unipile says of them in the message's
own transaction, their bytes fetched afterwards by a job (files.fetching), so a slow or missing
file never holds up or loses its message."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.files.fetching import FETCH_JOB
from skylight.files.models import File, FileOrigin, FileStatus
from skylight.files.repository import FileRepository
from skylight.files.service import clean_filename, new_public_id
from skylight.files.sniff import OCTET_STREAM
from skylight.files.sweep import ensure_sweep
from skylight.integrations.unipile.attachments import Attachment
from skylight.jobs.service import enqueue

_MIMETYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,60}/[a-z0-9][a-z0-9.+-]{0,60}$")
# What a kind of attachment most likely is when Unipile gives no mimetype (fetching corrects it).
_BY_TYPE = {"img": "image/jpeg", "video": "video/mp4", "audio": "audio/ogg"}
_NAMES = {"img": "image", "video": "video", "audio": "audio"}
UNAVAILABLE_AT_UNIPILE = "Unipile marked this attachment unavailable."
# Bounded like everything else; Unipile splits media into messages of one file each anyway.
MAX_RECEIVED = 50


def hinted_type(attachment: Attachment) -> str:
    mimetype = (attachment.mimetype or "").split(";", 1)[0].strip().lower()
    if _MIMETYPE.match(mimetype):
        return mimetype
    return _BY_TYPE.get(attachment.type, OCTET_STREAM)


def display_name(attachment: Attachment, content_type: str) -> str:
    base = _NAMES.get(attachment.type, "attachment")
    fallback = base + (mimetypes.guess_extension(content_type) or "")
    return clean_filename(attachment.file_name or "", fallback)


async def record(
    session: AsyncSession,
    workspace_id: int,
    message_id: int,
    unipile_message_id: str,
    attachments: Sequence[Attachment],
) -> None:
    if not attachments:
        return
    await ensure_sweep(session)
    repo = FileRepository(session, workspace_id)
    files = []
    for attachment in attachments[:MAX_RECEIVED]:
        content_type = hinted_type(attachment)
        file = await repo.add(
            File(
                public_id=new_public_id(),
                workspace_id=workspace_id,
                origin=FileOrigin.INBOUND,
                status=FileStatus.UNAVAILABLE if attachment.unavailable else FileStatus.PENDING,
                filename=display_name(attachment, content_type),
                content_type=content_type,
                size=attachment.file_size,
                unipile_message_id=unipile_message_id,
                unipile_attachment_id=attachment.id,
                error=UNAVAILABLE_AT_UNIPILE if attachment.unavailable else None,
            )
        )
        files.append(file)
        if file.status == FileStatus.PENDING:
            await enqueue(session, FETCH_JOB, {"file_id": file.id}, workspace_id=workspace_id)
    await repo.attach(message_id, files)


def preview(attachments: Sequence[Attachment]) -> str:
    """A conversation's last message when a received one is only files."""
    if not attachments:
        return ""
    names = [display_name(a, hinted_type(a)) for a in attachments]
    return "📎 " + ", ".join(names)[:200]
