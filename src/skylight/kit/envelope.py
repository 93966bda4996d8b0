"""The response envelope of the seeds: success, data, message, meta."""

from __future__ import annotations

import math
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class PageMeta(BaseModel):
    current_page: int
    last_page: int
    per_page: int
    total: int

    @classmethod
    def build(cls, *, page: int, per_page: int, total: int) -> PageMeta:
        return cls(
            current_page=page,
            last_page=max(1, math.ceil(total / per_page)),
            per_page=per_page,
            total=total,
        )


class DataResponse(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T


class DataMessageResponse(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T
    message: str


class MessageResponse(BaseModel):
    success: Literal[True] = True
    message: str


class PageResponse(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: list[T]
    meta: PageMeta


class ErrorResponse(BaseModel):
    success: Literal[False] = False
    message: str
    errors: dict[str, list[str]] | None = Field(
        default=None, description="Per-field messages, keyed by the field's name."
    )
    data: Any = None
