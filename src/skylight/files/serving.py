"""The bytes of a file, for its download route: stored ones from storage; a received one not
fetched yet from Unipile, now; one Unipile no longer has is 410 Gone, never a 500."""

from __future__ import annotations

from dataclasses import dataclass

from skylight.files.fetching import fetch
from skylight.files.models import File, FileStatus
from skylight.files.service import get_file
from skylight.files.storage import ObjectMissing, Storage, StorageError
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileError
from skylight.kit.db import Database
from skylight.kit.errors import Gone, UpstreamUnavailable
from skylight.kit.settings import Settings

# Shown in the browser (the dashboard's thumbnails, players); everything else downloads. No
# SVG, HTML or PDF: they can run script on our origin.
INLINE = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/webm",
        "audio/mpeg",
        "audio/ogg",
        "audio/mp4",
        "audio/aac",
        "audio/wav",
    }
)


@dataclass(frozen=True)
class Content:
    filename: str
    content_type: str
    data: bytes

    @property
    def inline(self) -> bool:
        return self.content_type in INLINE


async def _load(db: Database, workspace_id: int, public_id: str) -> File:
    async with db.transaction() as session:
        return await get_file(session, workspace_id, public_id)


async def content(
    db: Database,
    storage: Storage,
    unipile: UnipileClient,
    settings: Settings,
    workspace_id: int,
    public_id: str,
) -> Content:
    file = await _load(db, workspace_id, public_id)
    if file.status == FileStatus.PENDING:
        try:
            await fetch(db, unipile, storage, settings, file.id)
        except (UnipileError, StorageError):
            raise UpstreamUnavailable(
                f"File {public_id} is not fetched from Unipile yet and Unipile did not give it "
                "now; it is fetched again in the background. Try again later."
            ) from None
        file = await _load(db, workspace_id, public_id)
    if file.status == FileStatus.UNAVAILABLE or file.storage_key is None:
        raise Gone(f"File {public_id} is unavailable. {file.error or ''}".strip())
    try:
        data = await storage.get(file.storage_key)
    except ObjectMissing:
        raise Gone(f"File {public_id} is unavailable: its bytes are gone from storage.") from None
    except StorageError:
        raise UpstreamUnavailable("File storage is unavailable; try again later.") from None
    return Content(file.filename, file.content_type, data)
