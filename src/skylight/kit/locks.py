"""The workspace write lock: one lock order for every transaction that writes a workspace's
messages or emits its events, so they can wait for each other but never deadlock."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Namespace of the per-workspace advisory locks (the first key of pg_advisory_xact_lock).
_WORKSPACE_NAMESPACE = 7_405_114
# session.info: workspace id -> the transaction that holds its lock.
_HELD = "skylight.locks.workspaces"


async def lock_workspace_writes(session: AsyncSession, workspace_id: int) -> None:
    """Take the workspace's write lock at the START of a transaction that writes messages or
    may emit events, held until commit. On PostgreSQL it also makes a workspace's events commit
    in id order, so a reader tailing by id never skips one. SQLite's write lock (every
    transaction is BEGIN IMMEDIATE) already serialises all writers.

    Taken once per transaction: every writer may call it (the state machine, emit) and only
    the first call costs a round trip."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.sync_session.get_transaction()
    held = session.info.setdefault(_HELD, {})
    # The transaction object itself is kept, so `is` cannot match a later one by reused id.
    if transaction is not None and held.get(workspace_id) is transaction:
        return
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, :ws)"),
        {"ns": _WORKSPACE_NAMESPACE, "ws": workspace_id},
    )
    held[workspace_id] = session.sync_session.get_transaction()
