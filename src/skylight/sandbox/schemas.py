from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from skylight.channels.types import ChannelType
from skylight.kit.params import CleanStr, reject_nul

Text = Annotated[CleanStr, StringConstraints(min_length=1, max_length=4096)]
# Strip first, then check the length: "   " must be a 422, not an empty handle.
Handle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(reject_nul),
]

UpstreamStatus = Literal[
    "OK",
    "CONNECTING",
    "CREDENTIALS",
    "PERMISSIONS",
    "STOPPED",
    "ERROR",
    "CREATION_SUCCESS",
    "SYNC_SUCCESS",
    "RECONNECTED",
]


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Handle | None = Field(
        default=None, description="The phone (WhatsApp) or username (Telegram) that scanned."
    )


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: UpstreamStatus


class InboundIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    channel: ChannelType
    sender: Handle = Field(
        alias="from",
        description="WhatsApp: a phone. Telegram: a username or id. Instagram: a username.",
    )
    name: Annotated[CleanStr, StringConstraints(max_length=255)] | None = None
    text: Text | None = Field(default=None, description="Optional when a file comes with it.")


class InboundOut(BaseModel):
    unipile_message_id: str
    unipile_chat_id: str


class SentFileOut(BaseModel):
    id: str
    file_name: str
    mimetype: str
    size: int
    sha256: str = Field(description="Of the bytes Unipile received.")


class SentOut(BaseModel):
    account_id: str
    chat_id: str
    attendee_provider_id: str
    text: str | None
    message_id: str
    timestamp: str
    attachments: list[SentFileOut] = Field(default_factory=list)


class FaultsIn(BaseModel):
    # strict: a rate of `false` is a mistake, not 0.
    model_config = ConfigDict(extra="forbid", strict=True)

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    webhook_drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    webhook_duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
