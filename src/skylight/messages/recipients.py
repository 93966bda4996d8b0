"""Who a first message goes to: Unipile starts a chat with the person's internal id only.

On Telegram and Instagram that id is numeric and unknown until asked for: the contact's
username (or, on Telegram, phone) is resolved once with ``GET /users/{identifier}``, stored on
the contact, and used from then on (Instagram: the ``provider_messaging_id``). WhatsApp ids
are derived from the phone number."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from skylight.channels.types import ChannelType
from skylight.contacts.models import Contact
from skylight.contacts.repository import ContactRepository
from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.errors import UnipileNotFound
from skylight.integrations.unipile.providers import whatsapp_provider_id
from skylight.kit.db import Database

if TYPE_CHECKING:
    from skylight.messages.service import Route

RESOLVED_CHANNELS = (ChannelType.TELEGRAM, ChannelType.INSTAGRAM)


class UnknownRecipient(Exception):
    """Unipile knows no such user: nothing was sent, the message fails on our side."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def attendee_id(contact: Contact) -> str:
    """The contact's id for a new chat when it is known without asking Unipile; otherwise
    their username or phone, which ``addressed`` resolves before anything is sent."""
    if contact.channel is ChannelType.WHATSAPP:
        return whatsapp_provider_id(contact.phone or "")
    return contact.provider_id or contact.username or contact.phone or contact.handle


def _unknown(contact: Contact) -> UnknownRecipient:
    label = contact.channel.label
    if contact.username:
        return UnknownRecipient(f"No {label} user named '{contact.username}'.")
    return UnknownRecipient(f"No {label} account with the phone number {contact.phone}.")


async def addressed(db: Database, unipile: UnipileClient, route: Route) -> Route:
    """The route with the internal id a new chat needs. Raises UnknownRecipient when Unipile
    has no such user, and UnipileError when it cannot answer (nothing was sent either way)."""
    if route.chat_id is not None:
        return route  # an existing chat is addressed by its own id
    async with db.transaction() as session:
        contact = await ContactRepository(session, route.workspace_id).get(route.contact_id)
        if contact is None or contact.channel not in RESOLVED_CHANNELS:
            return route
        if contact.provider_id:
            return dataclasses.replace(route, attendee_id=contact.provider_id)
        identifier = contact.username or contact.phone or contact.handle
        unknown = _unknown(contact)
    try:
        profile = await unipile.get_user(route.account_id, identifier)
    except UnipileNotFound:
        raise unknown from None
    internal_id = profile.chat_attendee_id
    if not internal_id:
        raise unknown
    async with db.transaction() as session:
        stored = await ContactRepository(session, route.workspace_id).get(route.contact_id)
        if stored is not None:
            stored.provider_id = internal_id
    return dataclasses.replace(route, attendee_id=internal_id)
