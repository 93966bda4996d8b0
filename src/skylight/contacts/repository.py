from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.types import ChannelType
from skylight.contacts.models import Contact


class ContactRepository:
    """Every query is scoped to one workspace."""

    def __init__(self, session: AsyncSession, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def _scoped(self) -> Select[Contact]:
        return select(Contact).where(Contact.workspace_id == self.workspace_id)

    async def get(self, contact_id: int) -> Contact | None:
        return await self.session.scalar(self._scoped().where(Contact.id == contact_id))

    async def get_by_handle(self, channel: ChannelType, handle: str) -> Contact | None:
        return await self.session.scalar(
            self._scoped().where(Contact.channel == channel, Contact.handle == handle)
        )

    def filters(self, channel: ChannelType | None, q: str | None) -> list[ColumnElement[bool]]:
        """The contacts search (GET /contacts?q=, campaign recipient filters): one definition."""
        filters: list[ColumnElement[bool]] = [Contact.workspace_id == self.workspace_id]
        if channel is not None:
            filters.append(Contact.channel == channel)
        if q:
            needle = q.lower()
            filters.append(
                or_(
                    func.lower(Contact.name).contains(needle, autoescape=True),
                    func.coalesce(Contact.phone, "").contains(needle, autoescape=True),
                    func.lower(func.coalesce(Contact.username, "")).contains(
                        needle, autoescape=True
                    ),
                )
            )
        return filters

    async def page(
        self, *, channel: ChannelType | None, q: str | None, offset: int, limit: int
    ) -> tuple[Sequence[Contact], int]:
        filters = self.filters(channel, q)
        total = await self.session.scalar(select(func.count()).select_from(Contact).where(*filters))
        rows = await self.session.scalars(
            select(Contact).where(*filters).order_by(Contact.id.desc()).offset(offset).limit(limit)
        )
        return rows.all(), int(total or 0)

    async def add(self, contact: Contact) -> Contact:
        self.session.add(contact)
        await self.session.flush()
        return contact

    async def delete(self, contact: Contact) -> None:
        await self.session.execute(
            delete(Contact).where(
                Contact.id == contact.id, Contact.workspace_id == self.workspace_id
            )
        )
