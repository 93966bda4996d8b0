"""The provider's users: who a Telegram or Instagram username (or a Telegram phone) is.

Like Unipile, a new chat on Telegram or Instagram is addressed to the user's numeric internal
id, found with ``GET /users/{identifier}``. The simulator derives the ids from the identifier
(stable across restarts) and remembers every user it resolves, so a chat started with an id
still knows the username behind it.

Scripted users: an identifier starting with ``unknown_`` (or a phone ending in ``0000``) does
not exist (404); one starting with ``unreachable_`` exists but cannot be messaged (422).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from skylight.integrations.unipile.providers import whatsapp_provider_id
from skylight.integrations.unipile.simulator import tables as t
from skylight.integrations.unipile.simulator.errors import SimError, not_found

DIRECTORY_PROVIDERS = frozenset({"TELEGRAM", "INSTAGRAM"})
NUMERIC = re.compile(r"^\d{1,25}$")
PHONE = re.compile(r"^\+?[\d ()-]{6,20}$")
USERNAME = re.compile(r"^[A-Za-z0-9._]{1,64}$")


def _number(seed: str, digits: int) -> str:
    value = int(hashlib.sha256(seed.encode()).hexdigest()[:20], 16)
    return str(10 ** (digits - 1) + value % (9 * 10 ** (digits - 1)))


def ids_for(provider: str, key: str) -> tuple[str, str]:
    """(provider_id, messaging_id) of a user; Instagram's messaging id differs from its pk."""
    if provider == "INSTAGRAM":
        return _number(f"ig:{key}", 11), _number(f"igm:{key}", 17)
    provider_id = _number(f"tg:{key}", 10)
    return provider_id, provider_id


def _identity(provider: str, identifier: str) -> tuple[str | None, str | None]:
    """(username, phone) named by an identifier; ValueError when it names nobody."""
    cleaned = identifier.strip().removeprefix("@")
    if provider == "TELEGRAM" and PHONE.match(cleaned) and any(c.isdigit() for c in cleaned):
        digits = "".join(c for c in cleaned if c.isdigit())
        if digits.endswith("0000"):
            raise ValueError("no Telegram account with this phone number")
        return None, "+" + digits
    if not USERNAME.match(cleaned) or cleaned.lower().startswith("unknown_"):
        raise ValueError("no such user")
    return cleaned.lower(), None


async def _by_id(conn: AsyncConnection, provider: str, provider_id: str) -> sa.Row[Any] | None:
    query = sa.select(t.users).where(
        t.users.c.provider == provider,
        sa.or_(t.users.c.provider_id == provider_id, t.users.c.messaging_id == provider_id),
    )
    return (await conn.execute(query)).first()


async def resolve(conn: AsyncConnection, provider: str, identifier: str) -> sa.Row[Any]:
    """The user behind a username, phone or internal id; 404 when there is none."""
    if NUMERIC.match(identifier):
        # An internal id: someone the simulator has not met yet is taken at their word.
        known = await _by_id(conn, provider, identifier)
        username, phone, key = None, None, identifier
        provider_id = messaging_id = identifier
    else:
        try:
            username, phone = _identity(provider, identifier)
        except ValueError:
            raise not_found("User") from None
        key = username or phone or identifier
        provider_id, messaging_id = ids_for(provider, key)
        known = await _by_id(conn, provider, provider_id)
    if known is None:
        await conn.execute(
            sa.insert(t.users).values(
                provider=provider,
                provider_id=provider_id,
                messaging_id=messaging_id,
                username=username,
                phone=phone,
                name=username or phone or key,
            )
        )
        known = await _by_id(conn, provider, provider_id)
    assert known is not None
    return known


async def recipient(conn: AsyncConnection, provider: str, attendee_id: str) -> sa.Row[Any] | None:
    """Check an ``attendees_ids`` value as Unipile does: an internal id, never a username."""
    if not NUMERIC.match(attendee_id):
        raise SimError(
            400,
            "errors/invalid_parameters",
            f"attendees_ids must hold {provider} provider internal ids (numeric), not a "
            "username or phone: resolve it with GET /api/v1/users/{identifier}",
        )
    user = await _by_id(conn, provider, attendee_id)
    if user is not None and provider == "INSTAGRAM" and attendee_id != user.messaging_id:
        raise SimError(
            422,
            "errors/invalid_recipient",
            "For Instagram, use the user's provider_messaging_id",
        )
    if user is not None and (user.username or "").startswith("unreachable_"):
        raise SimError(422, "errors/user_unreachable", "The user cannot be reached")
    return user


def render_profile(provider: str, user: sa.Row[Any]) -> dict[str, Any]:
    picture = f"https://cdn.example.invalid/{provider.lower()}/{user.provider_id}.jpg"
    if provider == "INSTAGRAM":
        return {
            "object": "UserProfile",
            "provider": "INSTAGRAM",
            "provider_id": user.provider_id,
            "provider_messaging_id": user.messaging_id,
            "public_identifier": user.username,
            # The SDK 1.9.3 schema's own fields.
            "pk": int(user.provider_id),
            "username": user.username,
            "full_name": user.name,
            "profile_pic_url": picture,
            "biography": "",
            "follower_count": 0,
            "following_count": 0,
            "is_verified": False,
            "is_business": False,
            "is_private": False,
        }
    profile: dict[str, Any] = {
        "object": "UserProfile",
        "provider": "TELEGRAM",
        "provider_id": user.provider_id,
        "first_name": user.name,
        "username": user.username,
        "profile_picture_url": picture,
    }
    if user.phone:
        profile["phone"] = user.phone
    return profile


def whatsapp_profile(identifier: str) -> dict[str, Any]:
    try:
        user_id = whatsapp_provider_id(identifier)
    except ValueError:
        raise not_found("User") from None
    if user_id.split("@")[0].endswith("0000"):
        raise not_found("User")  # not on WhatsApp
    return {"object": "UserProfile", "provider": "WHATSAPP", "id": user_id}
