from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class ChannelType(StrEnum):
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    INSTAGRAM = "instagram"

    @property
    def label(self) -> str:
        return {"whatsapp": "WhatsApp", "telegram": "Telegram", "instagram": "Instagram"}[self]

    @property
    def provider(self) -> str:
        """Unipile's provider name."""
        return self.value.upper()


QR_CHANNELS = (ChannelType.WHATSAPP, ChannelType.TELEGRAM)


class SyncStatus(StrEnum):
    """The seed's sync_status values."""

    OK = "OK"
    CONNECTING = "CONNECTING"
    SYNC_SUCCESS = "SYNC_SUCCESS"
    CREDENTIALS = "CREDENTIALS"
    ERROR = "ERROR"
    STOPPED = "STOPPED"
    CREATION_FAIL = "CREATION_FAIL"


# A channel whose account is created and in one of these states can send.
HEALTHY = frozenset({SyncStatus.OK, SyncStatus.SYNC_SUCCESS})
ALIVE = HEALTHY | {SyncStatus.CONNECTING}


def channel_type_enum() -> Enum:
    return Enum(
        ChannelType,
        name="channel_type",
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda enum: [member.value for member in enum],
    )
