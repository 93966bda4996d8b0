from __future__ import annotations

import re
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from skylight.channels.types import ChannelType
from skylight.kit.params import reject_nul
from skylight.kit.time import ApiDateTime

_USERNAME = re.compile(r"^[A-Za-z0-9._]{1,64}$")


def normalize_phone(value: str) -> str:
    """E.164, e.g. '+966 50 123 4567' or '00966501234567' -> '+966501234567'."""
    raw = value.strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if not raw.startswith("+"):
        raise ValueError("must be in international format, starting with + and the country code")
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalize_username(value: str) -> str:
    username = value.strip().removeprefix("@")
    if not _USERNAME.match(username):
        raise ValueError("may contain only letters, digits, '.' and '_' (at most 64)")
    return username


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(reject_nul),
]
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(normalize_phone)]
Username = Annotated[str, StringConstraints(max_length=65), AfterValidator(normalize_username)]


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    channel: ChannelType
    phone: Phone | None = Field(default=None, description="E.164; required for WhatsApp.")
    username: Username | None = Field(
        default=None, description="Required for Instagram; Telegram takes a username or a phone."
    )


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    phone: Phone | None = None
    username: Username | None = None
    opted_out: bool | None = Field(
        default=None,
        description="true: no campaign messages them (opted_out_at is set); false: opted back in.",
    )


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    channel: ChannelType
    phone: str | None
    username: str | None
    opted_out_at: ApiDateTime | None = Field(
        description="Set while the contact has opted out of campaigns (e.g. replied STOP)."
    )
    created_at: ApiDateTime
    updated_at: ApiDateTime
