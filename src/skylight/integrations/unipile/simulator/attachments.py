"""Attachments in the simulator: the multipart `attachments` files of the two send routes (and
of received messages), kept with their bytes, listed on messages in the SDK's attachment shape,
served by ``GET /api/v1/messages/{message_id}/attachments/{attachment_id}``.

Limits like Unipile's: at most ``MAX_BYTES`` per file (400 ``errors/content_too_large``), at
most ``MAX_FILES`` per message, no executables (415 ``errors/unsupported_media_type``), no
empty files."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import UploadFile

from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.errors import SimError, invalid, not_found
from skylight.integrations.unipile.simulator.state import SimulatorState, get_state
from skylight.integrations.unipile.simulator.wire import new_id

# Integrators report about 15 MB in practice (the SDK declares 25 MiB): the stricter.
MAX_BYTES = 15_000_000
MAX_FILES = 10
_EXECUTABLES = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")

router = APIRouter()


@dataclass(frozen=True)
class Incoming:
    """One file as a send (or the sandbox's inbound helper) gave it."""

    filename: str
    mimetype: str
    data: bytes


async def read_uploads(values: list[Any]) -> list[Incoming]:
    """The `attachments` parts of a form, read and checked."""
    files = [v for v in values if isinstance(v, UploadFile)]
    if len(files) > MAX_FILES:
        raise invalid(f"At most {MAX_FILES} attachments per message")
    incoming = []
    for upload in files:
        data = await upload.read()
        if not data:
            raise invalid(f"Attachment {upload.filename!r} is empty")
        if len(data) > MAX_BYTES:
            raise SimError(
                400, "errors/content_too_large", f"Attachments may be at most {MAX_BYTES} bytes"
            )
        if data.startswith(_EXECUTABLES):
            raise SimError(415, "errors/unsupported_media_type", "Executables are not accepted")
        mimetype = (upload.content_type or "application/octet-stream").split(";")[0].strip()
        incoming.append(Incoming(upload.filename or "file", mimetype, data))
    return incoming


def _kind(mimetype: str) -> str:
    top = mimetype.split("/", 1)[0]
    return {"image": "img", "video": "video", "audio": "audio"}.get(top, "file")


def _image_size(data: bytes) -> dict[str, int]:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return {"width": width, "height": height}
    return {"width": 0, "height": 0}


def render(attachment_id: str, item: Incoming) -> dict[str, Any]:
    """The SDK's MessageAttachment: the base fields, and those its type requires."""
    kind = _kind(item.mimetype)
    rendered: dict[str, Any] = {
        "id": attachment_id,
        "type": kind,
        "mimetype": item.mimetype,
        "file_size": len(item.data),
        "unavailable": False,
        "url": f"att://{attachment_id}",
    }
    if kind == "img":
        rendered.update(size=_image_size(item.data), sticker=False)
    elif kind == "video":
        rendered.update(size={"width": 0, "height": 0}, gif=False)
    elif kind == "audio":
        rendered.update(voice_note=item.mimetype == "audio/ogg")
    else:
        rendered["file_name"] = item.filename
    return rendered


def prepare(items: list[Incoming]) -> list[tuple[str, Incoming]]:
    return [(new_id(), item) for item in items]


def rendered(prepared: list[tuple[str, Incoming]]) -> list[dict[str, Any]]:
    return [render(attachment_id, item) for attachment_id, item in prepared]


async def keep(
    conn: AsyncConnection, message_id: str, prepared: list[tuple[str, Incoming]]
) -> None:
    """Store the bytes of a message's attachments (ids from `prepare`)."""
    for attachment_id, item in prepared:
        await conn.execute(
            sa.insert(t.attachment_files).values(
                id=attachment_id,
                message_id=message_id,
                file_name=item.filename,
                mimetype=item.mimetype,
                data=item.data,
            )
        )


async def sent_files(conn: AsyncConnection, message_id: str) -> list[dict[str, Any]]:
    """What the sandbox's sent log shows of a message's files (not a Unipile shape)."""
    rows = await conn.execute(
        sa.select(t.attachment_files)
        .where(t.attachment_files.c.message_id == message_id)
        .order_by(t.attachment_files.c.seq)
    )
    return [
        {
            "id": row.id,
            "file_name": row.file_name,
            "mimetype": row.mimetype,
            "size": len(row.data),
            "sha256": hashlib.sha256(row.data).hexdigest(),
        }
        for row in rows
    ]


async def claim(conn: AsyncConnection, upload_ids: list[str]) -> list[tuple[str, Incoming]]:
    """Files uploaded for a received message (`POST /_sandbox/uploads`), not used yet."""
    found = []
    for upload_id in upload_ids:
        row = (
            await conn.execute(
                sa.select(t.attachment_files).where(
                    t.attachment_files.c.id == upload_id,
                    t.attachment_files.c.message_id.is_(None),
                )
            )
        ).one_or_none()
        if row is None:
            raise invalid(f"No unused upload {upload_id!r}")
        found.append((row.id, Incoming(row.file_name, row.mimetype, row.data)))
    return found


async def assign(conn: AsyncConnection, message_id: str, upload_ids: list[str]) -> None:
    await conn.execute(
        sa.update(t.attachment_files)
        .where(t.attachment_files.c.id.in_(upload_ids))
        .values(message_id=message_id)
    )


@router.post("/_sandbox/uploads")
async def upload(request: Request, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    """A file for the inbound helper: `POST /_sandbox/inbound` with `uploads: [id]` then
    delivers it as a received attachment."""
    form = await request.form(max_files=1)
    try:
        items = await read_uploads(form.getlist("file"))
    finally:
        await form.close()
    if not items:
        raise invalid("Attach the file as the form field 'file'")
    item = items[0]
    upload_id = new_id()
    async with state.engine.begin() as conn:
        await conn.execute(
            sa.insert(t.attachment_files).values(
                id=upload_id, file_name=item.filename, mimetype=item.mimetype, data=item.data
            )
        )
    return JSONResponse({"id": upload_id, "size": len(item.data)}, status_code=201)


@router.get("/api/v1/messages/{message_id}/attachments/{attachment_id}")
async def download(
    message_id: str, attachment_id: str, state: SimulatorState = Depends(get_state)
) -> Response:
    async with state.engine.begin() as conn:
        row = (
            await conn.execute(
                sa.select(t.attachment_files).where(
                    t.attachment_files.c.id == attachment_id,
                    t.attachment_files.c.message_id == message_id,
                )
            )
        ).one_or_none()
    if row is None:
        raise not_found("Attachment")
    return Response(row.data, media_type=row.mimetype)


@router.delete("/_sandbox/attachments/{attachment_id}")
async def forget(attachment_id: str, state: SimulatorState = Depends(get_state)) -> JSONResponse:
    """Unipile no longer has this file: downloading it is a 404 from now on."""
    async with state.engine.begin() as conn:
        result = await conn.execute(
            sa.delete(t.attachment_files).where(t.attachment_files.c.id == attachment_id)
        )
    if not result.rowcount:
        raise not_found("Attachment")
    return JSONResponse({"deleted": attachment_id})
