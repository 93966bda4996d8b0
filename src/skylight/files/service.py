"""Files: uploads checked from their bytes, attachments of messages, and the bytes served.

Storage calls are made with no transaction open (S3 is an HTTP call): bytes are stored first,
then the row is written in its own short transaction. An object whose row never committed is
unreachable and private, the cheaper failure."""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.types import ChannelType
from skylight.files import limits
from skylight.files.models import File, FileOrigin, FileStatus
from skylight.files.repository import FileRepository
from skylight.files.sniff import sniff
from skylight.files.storage import Storage
from skylight.files.sweep import ensure_sweep
from skylight.integrations.unipile.attachments import Upload
from skylight.kit.db import Database
from skylight.kit.errors import ContentTooLarge, NotFound, Unprocessable

PREFIX = "file_"
_ALPHABET = string.ascii_letters + string.digits
MAX_FILENAME = 255
# At most this many files on one message.
MAX_ATTACHMENTS = 10


def new_public_id() -> str:
    return PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def storage_key(workspace_id: int, public_id: str) -> str:
    return f"{workspace_id}/{public_id}"


def clean_filename(name: str, fallback: str = "file") -> str:
    """A name to show and to hand on: no folders, no control characters, bounded."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    return name[-MAX_FILENAME:] or fallback


def _refuse(breach: limits.Breach, field: str = "file") -> Exception:
    if breach.too_large:
        return ContentTooLarge(breach.reason, errors={field: [breach.reason]})
    return Unprocessable(breach.reason, errors={field: [breach.reason]})


async def upload(
    db: Database, storage: Storage, workspace_id: int, data: bytes, filename: str
) -> File:
    """Store an upload: its type from its bytes, refused when no channel could carry it."""
    name = clean_filename(filename)
    if not data:
        raise Unprocessable("The file is empty.", errors={"file": ["The file is empty."]})
    content_type = sniff(data, name)
    breach = limits.check_upload(content_type, len(data))
    if breach is not None:
        raise _refuse(breach)
    public_id = new_public_id()
    key = storage_key(workspace_id, public_id)
    await storage.put(key, data)
    async with db.transaction() as session:
        await ensure_sweep(session)
        return await FileRepository(session, workspace_id).add(
            File(
                public_id=public_id,
                workspace_id=workspace_id,
                origin=FileOrigin.UPLOAD,
                status=FileStatus.READY,
                filename=name,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                storage_key=key,
            )
        )


async def get_file(session: AsyncSession, workspace_id: int, public_id: str) -> File:
    file = await FileRepository(session, workspace_id).by_public_id(public_id)
    if file is None:
        raise NotFound(f"File {public_id} not found.")
    return file


async def for_send(
    session: AsyncSession,
    workspace_id: int,
    public_ids: Sequence[str],
    channel: ChannelType,
    field: str = "attachments",
) -> list[File]:
    """The files of an outbound message, in order, each one checked against the channel's
    limits: an unknown file or a type the channel refuses is a 422, a file over its size
    limit a 413, before anything is stored or sent."""
    found = await FileRepository(session, workspace_id).by_public_ids(public_ids)
    files = []
    for public_id in public_ids:
        file = found.get(public_id)
        if file is None:
            reason = f"File {public_id} not found."
            raise Unprocessable(reason, errors={field: [reason]})
        if file.status != FileStatus.READY or file.size is None:
            reason = f"File {public_id} is {file.status}: only stored files can be sent."
            raise Unprocessable(reason, errors={field: [reason]})
        breach = limits.check_for_channel(channel, file.content_type, file.size)
        if breach is not None:
            raise _refuse(breach, field)
        files.append(file)
    return files


async def attach(
    session: AsyncSession, workspace_id: int, message_id: int, files: Sequence[File]
) -> None:
    if files:
        await FileRepository(session, workspace_id).attach(message_id, files)


async def outgoing(
    db: Database, storage: Storage, workspace_id: int, message_id: int
) -> list[Upload]:
    """The bytes of a stored message's files, for sending it (read with no transaction open)."""
    async with db.transaction() as session:
        files = [
            (f.filename, f.storage_key, f.content_type)
            for f in await FileRepository(session, workspace_id).of_message(message_id)
        ]
    uploads = []
    for filename, key, content_type in files:
        assert key is not None  # only stored files are attached to outbound messages
        uploads.append(Upload(filename, await storage.get(key), content_type))
    return uploads


def preview(files: Sequence[File]) -> str:
    """What a conversation shows as its last message when a message has files and no text."""
    if not files:
        return ""
    return "📎 " + ", ".join(f.filename for f in files)[:200]
