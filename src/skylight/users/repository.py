from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from skylight.users.models import SignInFailure, User, UserSession
from skylight.workspaces.models import Workspace

# pg_advisory_xact_lock key of the sign-in throttle (one lock: sign-ins are rare and short).
_SIGN_IN_LOCK = 7_405_115


class UserRepository:
    """Users are found by email before anyone is signed in, so these queries are not scoped to
    a workspace; each row names its workspace."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: User | UserSession | SignInFailure) -> None:
        self.session.add(row)
        await self.session.flush()

    async def by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def for_workspace(self, workspace_id: int | None) -> Sequence[tuple[User, Workspace]]:
        query = select(User, Workspace).join(Workspace, Workspace.id == User.workspace_id)
        if workspace_id is not None:
            query = query.where(User.workspace_id == workspace_id)
        rows = await self.session.execute(query.order_by(User.id))
        return [(user, workspace) for user, workspace in rows]

    async def session_by_hash(
        self, token_hash: str, now: datetime
    ) -> tuple[UserSession, User, Workspace] | None:
        row = (
            await self.session.execute(
                select(UserSession, User, Workspace)
                .join(User, User.id == UserSession.user_id)
                .join(Workspace, Workspace.id == User.workspace_id)
                .where(UserSession.token_hash == token_hash, UserSession.expires_at > now)
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def delete_session(self, token_hash: str) -> None:
        await self.session.execute(delete(UserSession).where(UserSession.token_hash == token_hash))

    async def delete_sessions_of(self, user_id: int) -> None:
        await self.session.execute(delete(UserSession).where(UserSession.user_id == user_id))

    async def delete_expired_sessions(self, now: datetime) -> None:
        await self.session.execute(delete(UserSession).where(UserSession.expires_at <= now))

    async def serialize_sign_ins(self) -> None:
        """Until commit, no other sign-in can count or record attempts (PostgreSQL; on SQLite
        every transaction holds the write lock already), so a count and the attempt it lets
        through are one step."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SIGN_IN_LOCK}
            )

    async def failures_since(self, since: datetime, *, email: str, ip: str) -> tuple[int, int]:
        """Failed sign-ins since `since`: (for this email, from this address)."""
        recent = SignInFailure.created_at > since
        by_email = func.count().filter(SignInFailure.email == email)
        by_ip = func.count().filter(SignInFailure.ip == ip)
        row = (
            await self.session.execute(
                select(by_email, by_ip).where(
                    recent, or_(SignInFailure.email == email, SignInFailure.ip == ip)
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def clear_failures(self, email: str) -> None:
        await self.session.execute(delete(SignInFailure).where(SignInFailure.email == email))

    async def prune_failures(self, before: datetime) -> None:
        await self.session.execute(delete(SignInFailure).where(SignInFailure.created_at <= before))
