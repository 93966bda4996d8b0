"""The simulator's own schema ("Unipile's database", not SkyLight's), built with create_all.

No column ever holds an Instagram password: the simulator checks it and forgets it.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()
# Bumped when a table changes: an older simulator file is then rebuilt (it is a fake's state).
SCHEMA_VERSION = 3

accounts = Table(
    "accounts",
    metadata,
    Column("id", String, primary_key=True),
    Column("type", String, nullable=False),  # WHATSAPP | TELEGRAM | INSTAGRAM
    Column("name", String, nullable=False),
    Column("created_ms", Integer, nullable=False),
    Column("status", String, nullable=False),  # one of the six source statuses
    Column("im", JSON, nullable=False),  # connection_params.im
    Column("user_id", String),  # the account's own provider id, once known
    Column("country", String),
    # CONNECTING accounts that turn OK by themselves at this time (after a 2FA solve).
    Column("ok_at_ms", Integer),
    Column("ok_event", String),  # CREATION_SUCCESS | RECONNECTED, sent before OK
)

# Authentication intents: a QR code waiting for a scan, or Instagram 2FA rounds.
intents = Table(
    "intents",
    metadata,
    Column("id", String, primary_key=True),
    Column("account_id", String, nullable=False, index=True),
    Column("kind", String, nullable=False),  # QRCODE | OTP
    Column("purpose", String, nullable=False),  # create | reconnect
    Column("rounds_left", Integer, nullable=False),
    Column("qrcode", Text),
    Column("created_ms", Integer, nullable=False),
    Column("state", String, nullable=False),  # open | done | failed | superseded
)

attendees = Table(
    "attendees",
    metadata,
    Column("id", String, primary_key=True),
    Column("account_id", String, nullable=False),
    Column("provider_id", String, nullable=False),
    Column("name", String, nullable=False),
    Column("is_self", Integer, nullable=False),
    # The public identifier (Instagram or Telegram username) when the simulator knows it.
    Column("public_id", String),
    Index("ix_attendees_account_provider", "account_id", "provider_id", unique=True),
)

# The provider's users the simulator has been asked about or heard from: who a username (or a
# Telegram phone number) is. Ids are derived from the identifier, so they are stable.
users = Table(
    "users",
    metadata,
    Column("provider", String, primary_key=True),  # TELEGRAM | INSTAGRAM
    Column("provider_id", String, primary_key=True),  # numeric; Instagram: its pk
    # What a new chat must be addressed to (Instagram: provider_messaging_id).
    Column("messaging_id", String, nullable=False),
    Column("username", String),
    Column("phone", String),
    Column("name", String, nullable=False),
)

chats = Table(
    "chats",
    metadata,
    Column("id", String, primary_key=True),
    Column("account_id", String, nullable=False, index=True),
    Column("provider_id", String, nullable=False),
    Column("attendee_id", String, nullable=False),  # the other party of the 1:1 chat
    Column("timestamp_ms", Integer, nullable=False),
    Column("unread_count", Integer, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String, primary_key=True),
    Column("account_id", String, nullable=False, index=True),
    Column("chat_id", String, nullable=False, index=True),
    Column("provider_id", String, nullable=False),
    Column("sender_attendee_id", String, nullable=False),
    Column("text", Text),
    Column("timestamp_ms", Integer, nullable=False),
    Column("is_sender", Integer, nullable=False),
    Column("seen", Integer, nullable=False),
    Column("delivered", Integer, nullable=False),
    Column("seen_by", JSON, nullable=False),
    Column("attachments", JSON, nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String, primary_key=True),
    Column("source", String, nullable=False),
    Column("request_url", Text, nullable=False),
    Column("name", String),
    Column("headers", JSON, nullable=False),
    Column("events", JSON, nullable=False),
    Column("account_ids", JSON, nullable=False),  # [] = every account, present and future
    Column("enabled", Integer, nullable=False),
    Column("created_ms", Integer, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", String, nullable=False),
    Column("request_url", Text, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("body", Text, nullable=False),  # serialized once: duplicates are byte-identical
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_ms", Integer, nullable=False),
    Column("state", String, nullable=False),  # pending | delivered | failed | dropped
    Column("last_error", Text),
    Index("ix_deliveries_due", "state", "next_attempt_ms"),
)

# Everything accepted through the API for sending, for the sandbox's "what was sent" view.
sent_log = Table(
    "sent_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String, nullable=False, index=True),
    Column("chat_id", String, nullable=False),
    Column("attendee_provider_id", String, nullable=False),
    Column("text", Text),
    Column("message_id", String, nullable=False),
    Column("timestamp_ms", Integer, nullable=False),
)

# The bytes of attachments; what Unipile says of them is on their message (`attachments`).
attachment_files = Table(
    "attachment_files",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String, nullable=False, unique=True),
    # Null until a message takes it (a file uploaded for the sandbox's inbound helper).
    Column("message_id", String, index=True),
    Column("file_name", String, nullable=False),
    Column("mimetype", String, nullable=False),
    Column("data", LargeBinary, nullable=False),
)
