"""Export: the workspace's contacts as CSV, streamed a page at a time (each page its own short
read-only transaction), so memory stays flat whatever the count and no transaction stays open
while the client reads. Pages follow the id, so each contact appears once even while contacts
change."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from skylight.channels.types import ChannelType
from skylight.contacts.models import Contact
from skylight.contacts.repository import ContactRepository
from skylight.contacts.rows import FORMULA_STARTS
from skylight.kit.db import Database
from skylight.kit.time import format_api_datetime

COLUMNS = ("id", "name", "channel", "phone", "username", "opted_out_at", "created_at")
PAGE_ROWS = 1000
# Excel reads a CSV as UTF-8 (Arabic names intact) only when it starts with a BOM; the import
# accepts it too.
BOM = "\ufeff"


def _safe(name: str) -> str:
    """A name a spreadsheet would run as a formula gets a leading ' (the import drops it)."""
    return "'" + name if name.startswith(FORMULA_STARTS) else name


def _line(contact: Contact) -> list[str]:
    opted = contact.opted_out_at
    return [
        str(contact.id),
        _safe(contact.name),
        contact.channel.value,
        contact.phone or "",
        contact.username or "",
        format_api_datetime(opted) if opted else "",
        format_api_datetime(contact.created_at),
    ]


async def export_csv(
    db: Database, workspace_id: int, channel: ChannelType | None, q: str | None
) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield BOM + buffer.getvalue()
    after = 0
    while True:
        async with db.read() as session:  # no write lock while the client downloads
            page = await ContactRepository(session, workspace_id).after(
                channel=channel, q=q, after_id=after, limit=PAGE_ROWS
            )
            lines = [_line(contact) for contact in page]
        if not lines:
            return
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(lines)
        yield buffer.getvalue()
        after = page[-1].id
