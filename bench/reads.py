"""Reads at 10k, 100k and 1M messages, generated straight in the database.

Shape at N messages, in one workspace: N/100 contacts (at least 100), each with a conversation
row; one "busy" contact holds a tenth of all messages, the others share the rest evenly (about
90 each, whatever N). Measured one request at a time (latency, not throughput): the
conversations list, the busy contact's history and a typical contact's history, page 1."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench import loadgen
from bench.databases import fresh_database
from bench.procs import running, start_server
from skylight.kit.db import create_engine

_SERIES = {
    "sqlite": "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) ",
    "postgresql": "",
}
_FROM = {"sqlite": "FROM s", "postgresql": "FROM generate_series(1, {n}) AS s(i)"}
_PHONE = {"sqlite": "printf('+9665%08d', i)", "postgresql": "'+9665' || lpad(i::text, 8, '0')"}
# Message i happened i seconds after the base: ids and time agree, as they do in real life.
_AT = {
    "sqlite": "strftime('%Y-%m-%d %H:%M:%S', '2025-01-01', '+' || i || ' seconds') || '.000000'",
    "postgresql": "timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => i)",
}
_EPOCH = {"sqlite": "'2025-01-01 00:00:00.000000'", "postgresql": "timestamptz '2025-01-01Z'"}


@dataclass
class ReadResult:
    database: str
    messages: int
    stats: dict[str, loadgen.Stats] = field(default_factory=dict)


def _sql(dialect: str, template: str, n: int) -> str:
    series = _SERIES[dialect].format(n=n)
    return series + template.format(
        src=_FROM[dialect].format(n=n),
        phone=_PHONE[dialect],
        at=_AT[dialect],
        epoch=_EPOCH[dialect],
    )


CONTACTS_SQL = """INSERT INTO contacts (workspace_id, name, channel, phone, username, handle,
created_at, updated_at) SELECT :w, 'Contact ' || i, 'whatsapp', {phone}, NULL, {phone},
{epoch}, {epoch} {src}"""

MESSAGES_SQL = """INSERT INTO messages (workspace_id, contact_id, channel, direction, content,
status, occurred_at, sent_at, created_at, updated_at)
SELECT :w, CASE WHEN i % 10 = 0 THEN :first ELSE :first + 1 + (i % (:c - 1)) END, 'whatsapp',
CASE WHEN i % 2 = 0 THEN 'inbound' ELSE 'outbound' END, 'Message number ' || i,
CASE WHEN i % 2 = 0 THEN 'read' ELSE 'delivered' END, {at}, {at}, {at}, {at} {src}"""

CONVERSATIONS_SQL = """INSERT INTO conversations (contact_id, workspace_id, channel, last_message,
last_message_id, last_message_at, unread_count)
SELECT m.contact_id, m.workspace_id, m.channel, m.content, m.id, m.occurred_at, 0
FROM messages m JOIN (SELECT contact_id, max(id) AS last_id FROM messages
WHERE workspace_id = :w GROUP BY contact_id) x ON m.id = x.last_id"""


# The index this bench's EXPLAIN asks for (see the README): both equalities of the history
# queries, then their order. Created here only when asked, to measure the difference.
PROPOSED_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_bench_messages_workspace_contact_history "
    "ON messages (workspace_id, contact_id, occurred_at, id)"
)


async def populate(engine: AsyncEngine, workspace_id: int, messages: int) -> tuple[int, int]:
    """Replace the workspace's contacts and messages; (busy contact id, a typical one)."""
    dialect = engine.dialect.name
    contacts = max(100, messages // 100)
    params = {"w": workspace_id}
    async with engine.begin() as conn:
        for table in ("conversations", "messages", "chats", "contacts"):
            await conn.execute(text(f"DELETE FROM {table} WHERE workspace_id = :w"), params)  # noqa: S608
        await conn.execute(text(_sql(dialect, CONTACTS_SQL, contacts)), params)
        low, high, count = (
            await conn.execute(
                text("SELECT min(id), max(id), count(*) FROM contacts WHERE workspace_id = :w"),
                params,
            )
        ).one()
        assert high - low + 1 == count == contacts, "contact ids must be contiguous"
        await conn.execute(
            text(_sql(dialect, MESSAGES_SQL, messages)), {**params, "first": low, "c": contacts}
        )
        await conn.execute(text(CONVERSATIONS_SQL), params)
    if dialect == "postgresql":
        # What autovacuum would have done by the time a table had grown this big.
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE messages"))
            await conn.execute(text("VACUUM ANALYZE conversations"))
            await conn.execute(text("VACUUM ANALYZE contacts"))
    return low, low + contacts // 2


async def _explain(conn: AsyncConnection, sql: str, params: dict[str, int]) -> list[str]:
    if conn.dialect.name == "sqlite":
        rows = await conn.execute(text("EXPLAIN QUERY PLAN " + sql), params)
        return [str(row[-1]) for row in rows]
    rows = await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql), params)
    return [str(row[0]) for row in rows]


# The statements the endpoints run (see conversations/ and messages/ repository.py).
QUERIES = {
    "conversations: count": "SELECT count(*) FROM conversations WHERE workspace_id = :w",
    "conversations: page": (
        "SELECT conversations.*, contacts.name FROM conversations JOIN contacts "
        "ON contacts.id = conversations.contact_id WHERE conversations.workspace_id = :w "
        "ORDER BY conversations.last_message_at DESC, conversations.contact_id DESC "
        "LIMIT 15 OFFSET 0"
    ),
    "history: count": (
        "SELECT count(*) FROM messages WHERE workspace_id = :w AND contact_id = :contact"
    ),
    "history: page": (
        "SELECT * FROM messages WHERE workspace_id = :w AND contact_id = :contact "
        "ORDER BY occurred_at DESC, id DESC LIMIT 15 OFFSET 0"
    ),
}


async def explain(engine: AsyncEngine, workspace_id: int, contact: int) -> str:
    lines: list[str] = []
    async with engine.connect() as conn:
        for name, sql in QUERIES.items():
            lines.append(f"-- {name}")
            lines += await _explain(conn, sql, {"w": workspace_id, "contact": contact})
    return "\n".join(lines)


async def _latency(base_url: str, path: str, headers: dict[str, str], total: int) -> loadgen.Stats:
    def make(_i: int) -> loadgen.Request:
        return loadgen.Request("GET", path)

    await loadgen.run(base_url, make, concurrency=1, total=20, headers=headers)
    return await loadgen.run(base_url, make, concurrency=1, total=total, headers=headers)


async def reads(
    kind: str, work: Path, sizes: tuple[int, ...], *, requests: int, proposed_index: bool = False
) -> tuple[list[ReadResult], str]:
    results: list[ReadResult] = []
    plans = ""
    async with fresh_database(kind, work / "db") as url:
        server = start_server(work / "server", url, None)
        engine = create_engine(url)
        with running(server.process):
            async with engine.connect() as conn:
                workspace_id = int(
                    await conn.scalar(text("SELECT id FROM workspaces WHERE slug = 'default'"))
                )
            if proposed_index:
                async with engine.begin() as conn:
                    await conn.execute(text(PROPOSED_INDEX))
            for size in sizes:
                busy, typical = await populate(engine, workspace_id, size)
                result = ReadResult(kind, size)
                paths = {
                    "conversations": "/api/v1/conversations",
                    "history (busy contact)": f"/api/v1/contacts/{busy}/messages",
                    "history (typical contact)": f"/api/v1/contacts/{typical}/messages",
                }
                for name, path in paths.items():
                    result.stats[name] = await _latency(
                        server.base_url, path, server.headers, requests
                    )
                results.append(result)
                if size == max(sizes):
                    plans = await explain(engine, workspace_id, busy)
        await engine.dispose()
    return results, plans
