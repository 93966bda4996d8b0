"""Unipile chats, messages and attendees.

Only the fields SkyLight reads are required; see base_schema for the tolerance rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from skylight.integrations.unipile.base_schema import UnipileModel, skip_unreadable


def _as_flag(value: Any) -> Any:
    # Unipile's flags are 0/1; a JSON boolean or a null is read as what it means.
    if value is None or isinstance(value, bool):
        return int(bool(value))
    return value


# Read leniently; the simulator (and the SDK contract test) pin the exact 0/1 integers.
ReadFlag = Annotated[Literal[0, 1], BeforeValidator(_as_flag)]


class Reaction(UnipileModel):
    value: str
    sender_id: str | None = None
    is_sender: bool = False  # the one real boolean among Unipile's 0/1 flags


class Message(UnipileModel):
    # The copy embedded as a chat's ``lastMessage`` may come without ``object``.
    object: Literal["Message"] = "Message"
    id: str
    account_id: str | None = None
    chat_id: str | None = None
    provider_id: str | None = None
    sender_id: str | None = None
    text: str | None = None
    attachments: list[dict[str, Any]] = Field(default_factory=list)
    timestamp: datetime
    is_sender: ReadFlag = 0
    reactions: list[Reaction] = Field(default_factory=list)
    seen: ReadFlag = 0
    delivered: ReadFlag = 0
    seen_by: dict[str, Any] = Field(default_factory=dict)


class MessageList(UnipileModel):
    object: Literal["MessageList"] = "MessageList"
    items: Annotated[list[Message], skip_unreadable(Message)]
    cursor: str | None = None


class Chat(UnipileModel):
    object: Literal["Chat"] = "Chat"
    id: str
    account_id: str | None = None
    account_type: str | None = None
    provider_id: str | None = None
    attendee_provider_id: str | None = None
    name: str | None = None
    type: int = 0  # 0 single, 1 group, 2 channel
    timestamp: datetime | None = None
    unread_count: int = 0
    # Only GET /chats/{id} carries it (required there, null allowed).
    last_message: Message | None = Field(default=None, alias="lastMessage")


class ChatList(UnipileModel):
    object: Literal["ChatList"] = "ChatList"
    items: Annotated[list[Chat], skip_unreadable(Chat)]
    cursor: str | None = None


class ChatStarted(UnipileModel):
    object: Literal["ChatStarted"]
    chat_id: str | None = None
    message_id: str | None = None


class MessageSent(UnipileModel):
    object: Literal["MessageSent"]
    message_id: str | None = None


class ChatAttendee(UnipileModel):
    object: Literal["ChatAttendee"] = "ChatAttendee"
    id: str
    account_id: str | None = None
    provider_id: str
    name: str | None = None
    is_self: ReadFlag = 0
    picture_url: str | None = None
    profile_url: str | None = None


class ChatAttendeeList(UnipileModel):
    object: Literal["ChatAttendeeList"] = "ChatAttendeeList"
    items: Annotated[list[ChatAttendee], skip_unreadable(ChatAttendee)]
    cursor: str | None = None
