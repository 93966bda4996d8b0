from __future__ import annotations

from enum import StrEnum


class CampaignState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# A campaign in one of these holds its channel: the channel cannot be disconnected.
HOLDS_CHANNEL = (CampaignState.RUNNING, CampaignState.PAUSED)
FINISHED = (CampaignState.COMPLETED, CampaignState.CANCELLED)


class RecipientState(StrEnum):
    PENDING = "pending"
    # Claimed, its message stored; Unipile's answer not recorded yet (see campaigns.recovery).
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # Never messaged: the contact had opted out (at creation, or by the time its turn came).
    SKIPPED = "skipped"


OPTED_OUT = "The contact opted out of campaigns."
