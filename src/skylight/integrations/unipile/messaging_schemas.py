"""Unipile chats, messages and attendees."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from skylight.integrations.unipile.base_schema import Flag, UnipileModel


class Reaction(UnipileModel):
    value: str
    sender_id: str
    is_sender: bool  # the one real boolean among Unipile's 0/1 flags


class Message(UnipileModel):
    # The copy embedded as a chat's ``lastMessage`` may come without ``object``.
    object: Literal["Message"] = "Message"
    id: str
    account_id: str
    chat_id: str
    chat_provider_id: str
    provider_id: str
    sender_id: str
    sender_attendee_id: str
    text: str | None
    attachments: list[dict[str, Any]]
    timestamp: datetime
    is_sender: Flag
    reactions: list[Reaction]
    seen: Flag
    seen_by: dict[str, str | bool]
    hidden: Flag
    deleted: Flag
    edited: Flag
    is_event: Flag
    delivered: Flag
    behavior: Literal[0] | None
    original: str


class MessageList(UnipileModel):
    object: Literal["MessageList"]
    items: list[Message]
    cursor: str | None


class Chat(UnipileModel):
    object: Literal["Chat"]
    id: str
    account_id: str
    account_type: str
    provider_id: str
    attendee_provider_id: str | None = None
    name: str | None
    type: Literal[0, 1, 2]  # single, group, channel
    timestamp: datetime | None
    unread_count: int
    archived: Flag
    muted_until: int | str | None
    read_only: Literal[0, 1, 2]
    # Only GET /chats/{id} carries it (required there, null allowed).
    last_message: Message | None = Field(default=None, alias="lastMessage")


class ChatList(UnipileModel):
    object: Literal["ChatList"]
    items: list[Chat]
    cursor: str | None


class ChatStarted(UnipileModel):
    object: Literal["ChatStarted"]
    chat_id: str | None
    message_id: str | None


class MessageSent(UnipileModel):
    object: Literal["MessageSent"]
    message_id: str | None


class ChatAttendee(UnipileModel):
    object: Literal["ChatAttendee"]
    id: str
    account_id: str
    provider_id: str
    name: str
    is_self: Flag
    hidden: Flag | None = None
    picture_url: str | None = None
    profile_url: str | None = None


class ChatAttendeeList(UnipileModel):
    object: Literal["ChatAttendeeList"]
    items: list[ChatAttendee]
    cursor: str | None = None
