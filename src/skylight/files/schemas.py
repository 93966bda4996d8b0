from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from skylight.files.limits import Kind, kind_of
from skylight.kit.time import ApiDateTime

FileId = Annotated[
    str,
    StringConstraints(pattern=r"^file_[A-Za-z0-9]{1,40}$"),
    Field(description="A file's id, from POST /api/v1/files.", examples=["file_2mR8x..."]),
]
FileStatusName = Literal["ready", "pending", "unavailable"]


def content_url(public_id: str) -> str:
    return f"/api/v1/files/{public_id}/content"


class FileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(validation_alias="public_id")
    filename: str
    content_type: str = Field(description="Sniffed from the bytes, never taken from the client.")
    size: int | None = Field(description="Bytes; null for a received file not fetched yet.")
    status: FileStatusName = Field(
        description="ready; pending (received, being fetched from Unipile); unavailable."
    )
    created_at: ApiDateTime


class AttachmentOut(BaseModel):
    """A file on a message; `url` is the authenticated download route (same key or session)."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(validation_alias="public_id")
    content_type: str
    size: int | None
    filename: str
    status: FileStatusName

    @computed_field  # type: ignore[prop-decorator]
    @property
    def type(self) -> Kind:
        return kind_of(self.content_type)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        return content_url(self.id)
