from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from skylight.channels.models import Channel
from skylight.channels.types import ChannelType, SyncStatus
from skylight.kit.params import reject_nul


def local_time(value: datetime | None, timezone: str) -> str | None:
    """The seed shows channel times in the workspace's zone: 2026-03-11T10:00:00+03:00."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


class ChannelOut(BaseModel):
    id: int = Field(description="Channel setting ID")
    type: ChannelType
    username: str | None = Field(description="Phone number or username")
    is_connected: bool
    sync_status: SyncStatus
    last_synced_at: str | None = Field(description="ISO 8601, in the workspace's time zone")

    @classmethod
    def build(cls, channel: Channel, timezone: str) -> ChannelOut:
        return cls(
            id=channel.id,
            type=channel.type,
            username=channel.username,
            is_connected=channel.is_connected,
            sync_status=channel.status,
            last_synced_at=local_time(channel.last_synced_at, timezone),
        )


class ChannelStatusOut(ChannelOut):
    completed: bool = Field(description="The connection is done")
    in_progress: bool = Field(description="Still waiting (for the QR scan); keep polling")


class QrConnectOut(BaseModel):
    account_id: str
    qr_code: str = Field(description="WhatsApp multi-device string or tg://login URL")


class TwoFactorRequiredOut(BaseModel):
    requires_2fa: Literal[True] = True
    account_id: str
    checkpoint_type: str


def _known_country(code: str) -> str:
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("is not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True),
    AfterValidator(_known_country),
]


# The constraints sit on the plain str so the length is checked after stripping ("   " is
# empty, a 422); on top of CleanStr they were checked before it and let "   " through as "".
Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(reject_nul),
]
Password = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(reject_nul)
]
AccountId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    AfterValidator(reject_nul),
]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
    AfterValidator(reject_nul),
]


class InstagramConnectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password = Field(repr=False)
    country: Country = Field(default="SA", description="ISO 3166-1 alpha-2")


class InstagramCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: AccountId
    code: Code


class InstagramResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: AccountId
