"""Every table, imported once so the metadata (and Alembic) sees the whole schema."""

from skylight.apikeys.models import ApiKey
from skylight.campaigns.models import Campaign, CampaignRecipient, ChannelPacer
from skylight.channels.models import Channel, ChannelAttempt
from skylight.contacts.models import Contact, ContactImport
from skylight.conversations.models import Conversation
from skylight.events.models import Event
from skylight.files.models import File, MessageAttachment
from skylight.idempotency.models import IdempotencyKey
from skylight.inbound.models import InboxEntry
from skylight.jobs.models import Job, WorkerBeat
from skylight.kit.models import Base
from skylight.messages.models import Chat, Message
from skylight.users.models import SignInFailure, User, UserSession
from skylight.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from skylight.workspaces.models import Workspace

__all__ = [
    "ApiKey",
    "Base",
    "Campaign",
    "CampaignRecipient",
    "Channel",
    "ChannelAttempt",
    "ChannelPacer",
    "Chat",
    "Contact",
    "ContactImport",
    "Conversation",
    "Event",
    "File",
    "IdempotencyKey",
    "InboxEntry",
    "Job",
    "Message",
    "MessageAttachment",
    "SignInFailure",
    "User",
    "UserSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkerBeat",
    "Workspace",
]
