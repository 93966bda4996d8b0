"""Files sent to and fetched from Unipile: multipart `attachments` parts on the two send routes,
and `GET /messages/{message_id}/attachments/{attachment_id}` (binary, not JSON)."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from typing import Any, NamedTuple

from pydantic import ValidationError

from skylight.integrations.unipile.base_schema import UnipileModel

logger = logging.getLogger(__name__)


class Upload(NamedTuple):
    filename: str
    data: bytes
    content_type: str


class Multipart(NamedTuple):
    """A multipart/form-data body, encoded once (httpx's own streaming encoder costs a few
    hundred microseconds per request under load; a send makes one)."""

    body: bytes
    content_type: str


# As httpx (and browsers, per the HTML spec) escape names and filenames in a part's header.
_ESCAPES = {'"': "%22", "\\": "\\\\"} | {chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}
_ESCAPE = re.compile("|".join(re.escape(c) for c in _ESCAPES))


def _quoted(value: str) -> str:
    return '"' + _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], value) + '"'


def multipart(
    fields: Sequence[tuple[str, str]], uploads: Sequence[Upload], *, boundary: str | None = None
) -> Multipart:
    """Form fields, then one repeated `attachments` file part per upload (Unipile's field)."""
    boundary = boundary or secrets.token_hex(16)
    dash = f"--{boundary}\r\n".encode()
    chunks: list[bytes] = []
    for name, value in fields:
        head = f"Content-Disposition: form-data; name={_quoted(name)}\r\n\r\n"
        chunks += [dash, head.encode(), value.encode(), b"\r\n"]
    for upload in uploads:
        head = (
            f'Content-Disposition: form-data; name="attachments"; '
            f"filename={_quoted(upload.filename)}\r\nContent-Type: {upload.content_type}\r\n\r\n"
        )
        chunks += [dash, head.encode(), upload.data, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return Multipart(b"".join(chunks), f"multipart/form-data; boundary={boundary}")


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
