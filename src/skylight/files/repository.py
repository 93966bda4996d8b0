from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, select, update

from skylight.files.holders import holders
from skylight.files.models import File, FileStatus, MessageAttachment
from skylight.kit.repository import Repository, ScopedRepository


class FileRepository(ScopedRepository[File]):
    model = File

    async def by_public_id(self, public_id: str) -> File | None:
        return await self.session.scalar(self.scoped().where(File.public_id == public_id))

    async def by_public_ids(self, public_ids: Sequence[str]) -> dict[str, File]:
        rows = await self.session.scalars(self.scoped().where(File.public_id.in_(public_ids)))
        return {row.public_id: row for row in rows}

    async def attach(self, message_id: int, files: Sequence[File]) -> None:
        self.session.add_all(
            MessageAttachment(message_id=message_id, position=position, file_id=file.id)
            for position, file in enumerate(files)
        )
        await self.session.flush()

    async def of_message(self, message_id: int) -> Sequence[File]:
        rows = await self.session.scalars(
            self.scoped()
            .join(MessageAttachment, MessageAttachment.file_id == File.id)
            .where(MessageAttachment.message_id == message_id)
            .order_by(MessageAttachment.position)
        )
        return rows.all()


class FileStore(Repository[File]):
    """Across workspaces, by our own ids: the fetch job and the sweep."""

    async def by_id(self, file_id: int) -> File | None:
        return await self.session.get(File, file_id)

    async def fetched(
        self, file_id: int, *, content_type: str, size: int, sha256: str, storage_key: str
    ) -> bool:
        """pending -> ready; False when another fetch settled it first."""
        result = await self.session.execute(
            update(File)
            .where(File.id == file_id, File.status == FileStatus.PENDING)
            .values(
                status=FileStatus.READY,
                content_type=content_type,
                size=size,
                sha256=sha256,
                storage_key=storage_key,
                error=None,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def unavailable(self, file_id: int, error: str) -> bool:
        result = await self.session.execute(
            update(File)
            .where(File.id == file_id, File.status != FileStatus.UNAVAILABLE)
            .values(status=FileStatus.UNAVAILABLE, error=error)
        )
        return bool(getattr(result, "rowcount", 0))

    async def failed_attempt(self, file_id: int, error: str) -> int:
        """Count one failed fetch; how many there have been."""
        await self.session.execute(
            update(File)
            .where(File.id == file_id)
            .values(fetch_attempts=File.fetch_attempts + 1, error=error)
        )
        return int(
            await self.session.scalar(select(File.fetch_attempts).where(File.id == file_id)) or 0
        )

    async def delete_unused_before(
        self, cutoff: datetime, limit: int
    ) -> Sequence[tuple[int, str | None]]:
        """Delete up to `limit` files made before `cutoff` that nothing holds, oldest first;
        (id, storage key) of each. The foreign keys refuse a file attached meanwhile."""
        unused = [~exists().where(column == File.id) for column in holders()]
        oldest = (
            select(File.id)
            .where(File.created_at < cutoff, *unused)
            .order_by(File.created_at, File.id)
            .limit(limit)
        )
        rows = await self.session.execute(
            delete(File).where(File.id.in_(oldest)).returning(File.id, File.storage_key)
        )
        return [(row.id, row.storage_key) for row in rows]
