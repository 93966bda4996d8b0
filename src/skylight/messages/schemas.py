from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from skylight.channels.types import ChannelType
from skylight.files.schemas import AttachmentOut, FileId
from skylight.files.service import MAX_ATTACHMENTS
from skylight.kit.params import ResourceId, reject_nul
from skylight.kit.time import ApiDateTime
from skylight.messages.types import MAX_LENGTH


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_LENGTH),
    AfterValidator(_not_blank),
    AfterValidator(reject_nul),
]


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: ResourceId
    # Before `message`, whose check needs it.
    attachments: list[FileId] = Field(
        default_factory=list,
        max_length=MAX_ATTACHMENTS,
        description="Files to send (ids from POST /api/v1/files), in order.",
    )
    message: Text | None = Field(
        default=None,
        validate_default=True,
        description=f"Message text, 1 to {MAX_LENGTH} characters; optional with attachments.",
    )

    @field_validator("message")
    @classmethod
    def _text_or_files(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and not info.data.get("attachments"):
            raise ValueError("Field required")
        return value


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    direction: Literal["inbound", "outbound"]
    channel: ChannelType
    content: str
    status: Literal["pending", "sent", "delivered", "read", "failed"]
    error: str | None = Field(description="Why it failed or is unconfirmed; null otherwise")
    sent_at: ApiDateTime | None
    delivered_at: ApiDateTime | None
    read_at: ApiDateTime | None
    created_at: ApiDateTime
    attachments: list[AttachmentOut] = Field(
        default_factory=list,
        description="Its files, in order; `url` downloads one (same API key).",
    )


class SentMessageOut(MessageOut):
    opted_out: bool = Field(
        default=False,
        description=(
            "The contact has opted out of campaigns. A direct message still goes (a booking "
            "confirmation is not marketing); this says so."
        ),
    )


class SendFailureData(BaseModel):
    id: int
    status: Literal["pending", "failed"]
    error: str


class SendFailure(BaseModel):
    """The seed's failure body: the message was saved, but not delivered."""

    success: Literal[False] = False
    data: SendFailureData
    message: str = "Message could not be delivered."
