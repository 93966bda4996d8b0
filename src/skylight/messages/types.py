from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        """Statuses only move forward: a lower rank never replaces a higher one."""
        return _RANK[self]


_RANK = {
    MessageStatus.PENDING: 0,
    MessageStatus.FAILED: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}
MAX_LENGTH = 4096

# Why a send we could not confirm was failed: reconciliation checked the account and Unipile
# had no such message; a campaign looked it up, sent it again, and gave up. If a copy of it
# shows up after all, it did go out: the message is revived (messages.transitions).
NEVER_CONFIRMED = "Unipile never confirmed this message; it was not sent."
GAVE_UP_UNCONFIRMED = "Unipile never confirmed this message; it was not sent again."
UNCONFIRMED_FAILURES = (NEVER_CONFIRMED, GAVE_UP_UNCONFIRMED)
