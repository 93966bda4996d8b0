"""Finding (or creating) the contact behind a Unipile attendee, for inbound messages."""

from __future__ import annotations

import re

import phonenumbers

from skylight.channels.types import ChannelType
from skylight.contacts.models import Contact
from skylight.contacts.repository import ContactRepository
from skylight.integrations.unipile.providers import WHATSAPP_USER_SUFFIX

_USERNAME = re.compile(r"^[A-Za-z0-9._]{1,64}$")


def handle_from_provider_id(
    channel: ChannelType, provider_id: str
) -> tuple[str, str | None, str | None]:
    """(handle, phone, username) for an attendee's provider id."""
    if channel is ChannelType.WHATSAPP:
        digits = provider_id.removesuffix(WHATSAPP_USER_SUFFIX).split("@")[0]
        phone = "+" + "".join(ch for ch in digits if ch.isdigit())
        try:
            parsed = phonenumbers.parse(phone, None)
            phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
        return phone[:20], phone[:20], None
    username = provider_id.removeprefix("@")[:64]
    return username.lower(), None, username if _USERNAME.match(username) else None


async def find_or_create(
    repo: ContactRepository,
    channel: ChannelType,
    provider_id: str,
    name: str | None,
    username: str | None = None,
) -> tuple[Contact, bool]:
    """The contact, and whether it was just created: by Unipile's id for the person first,
    then by handle (their username when the attendee shows it, else the id itself). The id is
    remembered on the contact, so a later send needs no lookup."""
    known = await repo.get_by_provider_id(channel, provider_id)
    if known is not None:
        return known, False
    handle, phone, username = handle_from_provider_id(channel, username or provider_id)
    existing = await repo.get_by_handle(channel, handle)
    if existing is not None:
        if existing.provider_id is None:
            existing.provider_id = provider_id
        return existing, False
    contact = Contact(
        workspace_id=repo.workspace_id,
        name=(name or username or phone or handle)[:255],
        channel=channel,
        phone=phone,
        username=username,
        handle=handle,
        provider_id=provider_id,
    )
    return await repo.add(contact), True
