from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.models import AttemptState, Channel, ChannelAttempt
from skylight.channels.types import HEALTHY, ChannelType, SyncStatus
from skylight.kit.db import dialect_insert


class ChannelRepository:
    """Queries scoped to one workspace."""

    def __init__(self, session: AsyncSession, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    async def get(self, channel_type: ChannelType) -> Channel | None:
        return await self.session.scalar(
            select(Channel).where(
                Channel.workspace_id == self.workspace_id, Channel.type == channel_type
            )
        )

    async def lock(self, channel_type: ChannelType) -> Channel:
        """The channel row, created if missing, locked until the transaction ends, so racing
        connects of one type record their accounts one after the other (SQLite: the IMMEDIATE
        transaction already serialises them; PostgreSQL: the row lock)."""
        await self.session.execute(
            dialect_insert(self.session, Channel)
            .values(
                workspace_id=self.workspace_id,
                type=channel_type,
                sync_status=SyncStatus.CONNECTING.value,
            )
            .on_conflict_do_nothing(index_elements=["workspace_id", "type"])
        )
        channel = await self.session.scalar(
            select(Channel)
            .where(Channel.workspace_id == self.workspace_id, Channel.type == channel_type)
            .with_for_update()
        )
        assert channel is not None
        return channel

    async def all(self) -> Sequence[Channel]:
        rows = await self.session.scalars(
            select(Channel).where(Channel.workspace_id == self.workspace_id).order_by(Channel.id)
        )
        return rows.all()

    async def add(self, row: Channel | ChannelAttempt) -> None:
        self.session.add(row)
        await self.session.flush()

    async def attempt(self, channel_type: ChannelType, account_id: str) -> ChannelAttempt | None:
        return await self.session.scalar(
            select(ChannelAttempt).where(
                ChannelAttempt.workspace_id == self.workspace_id,
                ChannelAttempt.type == channel_type,
                ChannelAttempt.unipile_account_id == account_id,
            )
        )

    async def pending_attempts(self, channel_type: ChannelType) -> Sequence[ChannelAttempt]:
        rows = await self.session.scalars(
            select(ChannelAttempt).where(
                ChannelAttempt.workspace_id == self.workspace_id,
                ChannelAttempt.type == channel_type,
                ChannelAttempt.state == AttemptState.PENDING,
            )
        )
        return rows.all()

    async def owns_account(self, account_id: str) -> bool:
        found = await self.session.scalar(
            select(ChannelAttempt.id).where(
                ChannelAttempt.workspace_id == self.workspace_id,
                ChannelAttempt.unipile_account_id == account_id,
            )
        )
        return found is not None

    async def account_ids(self) -> list[str]:
        rows = await self.session.scalars(
            select(ChannelAttempt.unipile_account_id).where(
                ChannelAttempt.workspace_id == self.workspace_id
            )
        )
        return list(rows)

    async def remove(self, channel: Channel) -> None:
        await self.session.execute(
            delete(ChannelAttempt).where(
                ChannelAttempt.workspace_id == self.workspace_id,
                ChannelAttempt.type == channel.type,
            )
        )
        await self.session.execute(
            delete(Channel).where(
                Channel.workspace_id == self.workspace_id, Channel.id == channel.id
            )
        )


_ACCOUNTS = "skylight.channels.accounts"


class AccountLookup:
    """Unipile's webhooks name an account, not a workspace: find the rows that own it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def channel(self, account_id: str) -> Channel | None:
        """Remembered for the session: a batch of webhooks names the same accounts again."""
        known: dict[str, Channel | None] = self.session.info.setdefault(_ACCOUNTS, {})
        if account_id not in known:
            known[account_id] = await self.session.scalar(
                select(Channel).where(Channel.unipile_account_id == account_id)
            )
        return known[account_id]

    async def attempt(self, account_id: str) -> ChannelAttempt | None:
        return await self.session.scalar(
            select(ChannelAttempt).where(ChannelAttempt.unipile_account_id == account_id)
        )

    async def healthy(self) -> Sequence[Channel]:
        rows = await self.session.scalars(
            select(Channel).where(
                Channel.unipile_account_id.is_not(None),
                Channel.connected_at.is_not(None),
                Channel.sync_status.in_([s.value for s in HEALTHY]),
            )
        )
        return rows.all()

    async def mark_reconciled(self, channel_id: int, at: datetime) -> None:
        await self.session.execute(
            update(Channel).where(Channel.id == channel_id).values(reconciled_at=at)
        )
