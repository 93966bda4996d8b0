from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.channels.types import ChannelType
from skylight.contacts import optout
from skylight.contacts.models import Contact
from skylight.contacts.repository import ContactRepository
from skylight.contacts.schemas import ContactCreate, ContactUpdate
from skylight.kit.errors import Conflict, NotFound, Unprocessable, field_error
from skylight.kit.pagination import PageParams
from skylight.kit.time import utcnow


def derive_handle(channel: ChannelType, phone: str | None, username: str | None) -> str:
    """How the channel addresses the contact; raises when the channel's required field is absent."""
    if channel is ChannelType.WHATSAPP:
        if not phone:
            raise Unprocessable(
                "A WhatsApp contact needs a phone number.",
                errors=field_error("phone", "Required for whatsapp contacts."),
            )
        return phone
    if channel is ChannelType.INSTAGRAM:
        if not username:
            raise Unprocessable(
                "An Instagram contact needs a username.",
                errors=field_error("username", "Required for instagram contacts."),
            )
        return username.lower()
    if username:
        return username.lower()
    if phone:
        return phone
    raise Unprocessable(
        "A Telegram contact needs a username or a phone number.",
        errors={
            "username": ["A username or a phone is required for telegram contacts."],
            "phone": ["A username or a phone is required for telegram contacts."],
        },
    )


def _handle_field(channel: ChannelType, contact: Contact) -> str:
    if channel is ChannelType.WHATSAPP or (
        channel is ChannelType.TELEGRAM and not contact.username
    ):
        return "phone"
    return "username"


async def _ensure_unique(repo: ContactRepository, contact: Contact) -> None:
    existing = await repo.get_by_handle(contact.channel, contact.handle)
    if existing is not None and existing.id != contact.id:
        field = _handle_field(contact.channel, contact)
        raise Conflict(
            f"A {contact.channel.value} contact with this {field} already exists.",
            errors=field_error(field, "Already used by another contact on this channel."),
            data={"id": existing.id},
        )


async def create_contact(session: AsyncSession, workspace_id: int, data: ContactCreate) -> Contact:
    repo = ContactRepository(session, workspace_id)
    contact = Contact(
        workspace_id=workspace_id,
        name=data.name,
        channel=data.channel,
        phone=data.phone,
        username=data.username,
        handle=derive_handle(data.channel, data.phone, data.username),
    )
    await _ensure_unique(repo, contact)
    return await repo.add(contact)


async def get_contact(session: AsyncSession, workspace_id: int, contact_id: int) -> Contact:
    contact = await ContactRepository(session, workspace_id).get(contact_id)
    if contact is None:
        raise NotFound(f"Contact {contact_id} not found.")
    return contact


async def list_contacts(
    session: AsyncSession,
    workspace_id: int,
    page: PageParams,
    *,
    channel: ChannelType | None = None,
    q: str | None = None,
) -> tuple[Sequence[Contact], int]:
    return await ContactRepository(session, workspace_id).page(
        channel=channel, q=q, offset=page.offset, limit=page.per_page
    )


async def update_contact(
    session: AsyncSession, workspace_id: int, contact_id: int, data: ContactUpdate
) -> Contact:
    repo = ContactRepository(session, workspace_id)
    contact = await get_contact(session, workspace_id, contact_id)
    given = data.model_fields_set
    if "name" in given:
        if data.name is None:
            raise Unprocessable("A contact needs a name.", errors=field_error("name", "Required."))
        contact.name = data.name
    if "phone" in given:
        contact.phone = data.phone
    if "username" in given:
        contact.username = data.username
    contact.handle = derive_handle(contact.channel, contact.phone, contact.username)
    await _ensure_unique(repo, contact)
    await session.flush()
    if "opted_out" in given:
        if data.opted_out is None:
            raise Unprocessable(
                "Give opted_out as true or false.", errors=field_error("opted_out", "Required.")
            )
        await optout.decide(session, contact, data.opted_out, utcnow(), now=True)
    return contact


async def is_opted_out(session: AsyncSession, workspace_id: int, contact_id: int) -> bool:
    contact = await ContactRepository(session, workspace_id).get(contact_id)
    return contact is not None and contact.opted_out_at is not None


async def delete_contact(session: AsyncSession, workspace_id: int, contact_id: int) -> None:
    repo = ContactRepository(session, workspace_id)
    contact = await get_contact(session, workspace_id, contact_id)
    await repo.delete(contact)
