from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Row,
    String,
    Table,
    bindparam,
    delete,
    func,
    or_,
    select,
    true,
    update,
)

from skylight.channels.types import ChannelType
from skylight.contacts.models import Contact, ContactImport
from skylight.kit.db import dialect_insert
from skylight.kit.repository import Repository, ScopedRepository


class ContactRepository(ScopedRepository[Contact]):
    model = Contact

    async def get_by_handle(self, channel: ChannelType, handle: str) -> Contact | None:
        return await self.session.scalar(
            self.scoped().where(Contact.channel == channel, Contact.handle == handle)
        )

    async def get_by_provider_id(self, channel: ChannelType, provider_id: str) -> Contact | None:
        return await self.session.scalar(
            self.scoped()
            .where(Contact.channel == channel, Contact.provider_id == provider_id)
            .order_by(Contact.id)
            .limit(1)
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

    async def delete(self, contact: Contact) -> None:
        await self.session.execute(
            delete(Contact).where(
                Contact.id == contact.id, Contact.workspace_id == self.workspace_id
            )
        )

    async def after(
        self, *, channel: ChannelType | None, q: str | None, after_id: int, limit: int
    ) -> Sequence[Contact]:
        """The next contacts by id (an export's pages: each contact once, however many)."""
        rows = await self.session.scalars(
            select(Contact)
            .where(*self.filters(channel, q), Contact.id > after_id)
            .order_by(Contact.id)
            .limit(limit)
        )
        return rows.all()

    # Bulk imports: a batch of rows at a time, in Core statements (no ORM objects per row).

    async def existing(
        self, channel: ChannelType, handles: Collection[str]
    ) -> Sequence[Row[int, str, str, str | None, str | None]]:
        """(id, handle, name, phone, username) of the channel's contacts with these handles."""
        columns = (Contact.id, Contact.handle, Contact.name, Contact.phone, Contact.username)
        scope = (Contact.workspace_id == self.workspace_id, Contact.channel == channel)
        if self.session.get_bind().dialect.name != "postgresql":
            query = select(*columns).where(*scope, Contact.handle.in_(list(handles)))
            return (await self.session.execute(query)).all()
        # PostgreSQL: one index probe per handle. With `handle IN (...)` the planner may read
        # the workspace's whole channel and filter it, when its statistics lag behind a table
        # that an import is filling (every batch slower than the last).
        wanted = (
            func.unnest(bindparam("handles", list(handles), type_=ARRAY(String)))
            .table_valued("handle")
            .render_derived()
        )
        probe = select(*columns).where(*scope, Contact.handle == wanted.c.handle).lateral()
        query = select(*probe.c).select_from(wanted).join(probe, true())
        return (await self.session.execute(query)).all()

    async def insert_many(self, values: list[dict[str, Any]]) -> None:
        """New contacts; one that appeared meanwhile (another writer) is updated instead. One
        statement executed for many rows: compiled once, not per batch."""
        if not values:
            return
        table = Contact.__table__
        assert isinstance(table, Table)
        statement = dialect_insert(self.session, table)
        excluded = statement.excluded
        connection = await self.session.connection()
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=["workspace_id", "channel", "handle"],
                set_={
                    "name": excluded.name,
                    "phone": func.coalesce(excluded.phone, table.c.phone),
                    "username": func.coalesce(excluded.username, table.c.username),
                    "updated_at": excluded.updated_at,
                },
            ),
            values,
        )

    async def update_many(self, values: list[dict[str, Any]]) -> None:
        """Each {"contact_id", "name", "phone", "username", "updated_at"}: one executemany."""
        if not values:
            return
        table = Contact.__table__
        assert isinstance(table, Table)
        # Core, not the ORM: an executemany UPDATE with its own WHERE (the SET clause is the
        # parameters' other keys).
        connection = await self.session.connection()
        await connection.execute(
            update(table).where(
                table.c.workspace_id == self.workspace_id, table.c.id == bindparam("contact_id")
            ),
            values,
        )


class ImportRepository(ScopedRepository[ContactImport]):
    """A workspace's imports, for the API."""

    model = ContactImport

    async def page(self, *, offset: int, limit: int) -> tuple[Sequence[ContactImport], int]:
        scope = ContactImport.workspace_id == self.workspace_id
        total = await self.session.scalar(
            select(func.count()).select_from(ContactImport).where(scope)
        )
        rows = await self.session.scalars(
            self.scoped().order_by(ContactImport.id.desc()).offset(offset).limit(limit)
        )
        return rows.all(), int(total or 0)


class ImportQueue(Repository[ContactImport]):
    """The import job's queries: it starts from an import's id, as its job does."""

    async def lock(self, import_id: int) -> ContactImport | None:
        """Locked until the batch commits: two runs of one import never both write a batch."""
        return await self.session.scalar(
            select(ContactImport).where(ContactImport.id == import_id).with_for_update()
        )

    async def source(self, import_id: int) -> bytes | None:
        return await self.session.scalar(
            select(ContactImport.source).where(ContactImport.id == import_id)
        )
