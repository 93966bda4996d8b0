"""Keyset pagination, newest first, with Unipile's base64 JSON cursors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from skylight.integrations.unipile.simulator.wire import (
    check_limit,
    decode_cursor,
    encode_cursor,
    parse_iso_ms,
)


@dataclass(frozen=True)
class PageRequest:
    filters: dict[str, Any]
    limit: int
    last_id: str | None = None
    last_ms: int | None = None

    def time_range(self) -> tuple[int | None, int | None]:
        """The ``after`` / ``before`` filters (exclusive) as epoch ms."""
        after, before = self.filters.get("after"), self.filters.get("before")
        return (
            parse_iso_ms(after, "after") if after else None,
            parse_iso_ms(before, "before") if before else None,
        )


def resolve_page(cursor: str | None, limit: int | None, filters: dict[str, Any]) -> PageRequest:
    """With a cursor, its own filters and limit win over the query's (Unipile's rule)."""
    clean = {key: value for key, value in filters.items() if value is not None}
    if cursor is None:
        page = PageRequest(clean, check_limit(limit))
    else:
        decoded = decode_cursor(cursor)
        kept = {key: decoded[key] for key in filters if key in decoded}
        page = PageRequest(
            kept,
            check_limit(decoded["limit"]),
            decoded["cursor"]["last_id"],
            decoded["last_ms"],
        )
    page.time_range()  # reject malformed dates up front
    return page


async def fetch_page(
    conn: AsyncConnection,
    stmt: sa.Select[Any],
    ts_col: sa.ColumnElement[int],
    id_col: sa.ColumnElement[str],
    page: PageRequest,
) -> tuple[list[sa.Row[Any]], str | None]:
    after, before = page.time_range()
    if after is not None:
        stmt = stmt.where(ts_col > after)
    if before is not None:
        stmt = stmt.where(ts_col < before)
    if page.last_id is not None and page.last_ms is not None:
        stmt = stmt.where(
            sa.or_(ts_col < page.last_ms, sa.and_(ts_col == page.last_ms, id_col < page.last_id))
        )
    stmt = stmt.order_by(ts_col.desc(), id_col.desc()).limit(page.limit + 1)
    rows = list((await conn.execute(stmt)).all())
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    last = rows[-1]
    last_ms = last._mapping[ts_col]
    last_id = last._mapping[id_col]
    return rows, encode_cursor(page.filters, page.limit, last_id, last_ms)
