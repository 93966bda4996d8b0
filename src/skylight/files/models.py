from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from skylight.kit.models import Base, TimestampMixin


class FileStatus:
    READY = "ready"  # the bytes are in storage
    PENDING = "pending"  # received: the bytes are still at Unipile, fetched in the background
    UNAVAILABLE = "unavailable"  # received, and Unipile could not give us the bytes


class FileOrigin:
    UPLOAD = "upload"  # POST /files (or the dashboard's composer)
    INBOUND = "inbound"  # an attachment of a message Unipile told us about


class File(TimestampMixin, Base):
    """The bytes of an upload or of a received attachment, and what we know about them. Kept
    while a message or a campaign uses it, and an upload for `files_orphan_hours` after it was
    made; the sweep deletes the rest (row and bytes)."""

    __tablename__ = "files"
    __table_args__ = (
        # The sweep: old files first, checked against their users.
        Index("ix_files_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the API calls it: "file_" and 24 random letters and digits.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    origin: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    # Sniffed from the bytes; for a received file not fetched yet, what Unipile said.
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    storage_key: Mapped[str | None] = mapped_column(String(255), default=None)
    # A received file: where Unipile keeps it, and how fetching it went.
    unipile_message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    unipile_attachment_id: Mapped[str | None] = mapped_column(String(255), default=None)
    fetch_attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class MessageAttachment(Base):
    """A message's files, in order. Deleted with the message; the file follows at the next
    sweep once nothing else uses it (the foreign key stops a used file from going)."""

    __tablename__ = "message_attachments"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
