"""Files sent to and fetched from Unipile: multipart `attachments` parts on the two send routes,
and `GET /messages/{message_id}/attachments/{attachment_id}` (binary, not JSON)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

from pydantic import ValidationError

from skylight.integrations.unipile.base_schema import UnipileModel
from skylight.integrations.unipile.wire import form

logger = logging.getLogger(__name__)


class Upload(NamedTuple):
    filename: str
    data: bytes
    content_type: str


def multipart(
    fields: Sequence[tuple[str, str]], uploads: Sequence[Upload]
) -> list[tuple[str, Any]]:
    """Form fields, then one repeated `attachments` file part per upload (Unipile's field)."""
    parts: list[tuple[str, Any]] = list(form(fields))
    parts.extend(("attachments", (u.filename, u.data, u.content_type)) for u in uploads)
    return parts


class Attachment(UnipileModel):
    """An entry of a message's (or a messaging webhook's) `attachments`: only the fields we use.
    `type` is img, video, audio, file, linkedin_post, ...; `file_name` only comes with files."""

    id: str
    type: str = "file"
    mimetype: str | None = None
    file_size: int | None = None
    file_name: str | None = None
    unavailable: bool = False


def read_attachments(items: Sequence[Any]) -> list[Attachment]:
    """The entries we can read; one we cannot is skipped and logged, never the message."""
    readable = []
    for item in items:
        try:
            readable.append(Attachment.model_validate(item))
        except ValidationError:
            logger.warning("skipping an attachment Unipile sent that we cannot read: %r", item)
    return readable
