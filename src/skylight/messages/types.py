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
