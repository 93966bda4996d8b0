"""Accounts at Unipile that we no longer track are deleted there.

A login that timed out may still have created an account at Unipile (creating one can take
tens of seconds there, and the answer never came): find it and delete it, so Unipile never
keeps an account we do not track (a forgotten QR code could still be scanned, a forgotten
Instagram login would still sync).

Which accounts: of the channel's provider, created since the call started, that no channel
or attempt of any workspace knows, and, for an Instagram login, with the username we sent; for
a QR login, still waiting for its scan. A connect of another workspace that is still waiting
for Unipile's answer at that very moment is not ours to tell apart from it: that is why the
username (Instagram) and the unscanned state (QR codes, which Unipile answers quickly) narrow
the choice."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from skylight.channels.repository import AccountLookup
from skylight.channels.types import ChannelType
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileError, UnipileNotFound
from skylight.integrations.unipile.schemas import Account
from skylight.kit.db import Database

logger = logging.getLogger("skylight.channels")


async def delete_upstream(unipile: UnipileClient, account_id: str) -> None:
    """Delete an account at Unipile; one that is already gone is what we wanted."""
    try:
        await unipile.delete_account(account_id)
    except UnipileNotFound:
        return


async def discard_upstream(unipile: UnipileClient, account_ids: Iterable[str]) -> None:
    """Best effort, once the outcome is decided: accounts we no longer track must not stay at
    Unipile (a forgotten QR code could still be scanned). A failure is only logged."""
    for account_id in account_ids:
        try:
            await delete_upstream(unipile, account_id)
        except UnipileError as exc:
            logger.warning("could not delete Unipile account %s: %s", account_id, exc.message)


# Our clock and Unipile's may differ by this much.
CLOCK_SKEW = timedelta(seconds=5)


def _candidate(account: Account, provider: str, since: datetime, username: str | None) -> bool:
    if account.type != provider or account.created_at is None:
        return False
    if account.created_at < since - CLOCK_SKEW:
        return False
    if username is None:
        return account.status == "CONNECTING"  # a QR code nobody scanned
    im = account.connection_params.im or {}
    names = {str(im.get("username") or "").lower(), account.name.lower()}
    return username.lower() in names


async def discard_untracked(
    db: Database,
    channel_type: ChannelType,
    since: datetime,
    username: str | None = None,
    *,
    unipile: UnipileClient,
) -> list[str]:
    """Delete the accounts a timed-out login may have left at Unipile; returns their ids.
    Best effort: if Unipile cannot be asked, it is logged (the ids are unknown then)."""
    found: list[str] = []
    try:
        async for account in unipile.iter_accounts():
            if _candidate(account, channel_type.provider, since, username):
                found.append(account.id)
    except UnipileError as exc:
        logger.warning(
            "a %s login timed out and Unipile's accounts could not be listed to remove what it "
            "may have left: %s",
            channel_type.label,
            exc.message,
        )
        return []
    async with db.transaction() as session:
        lookup = AccountLookup(session)
        untracked = [
            account_id
            for account_id in found
            if await lookup.channel(account_id) is None and await lookup.attempt(account_id) is None
        ]
    await discard_upstream(unipile, untracked)
    for account_id in untracked:
        logger.warning(
            "deleted Unipile account %s left by a %s login that timed out", account_id, channel_type
        )
    return untracked
