"""The response envelope of the seeds: success, data, message, meta."""

from __future__ import annotations

import math
from typing import Any, Generic, Literal, TypeVar, get_args, get_origin

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


def _noun(param: Any) -> str:
    """ContactOut -> Contact, list[ChannelOut] -> ChannelList, so the envelopes are named
    ContactData (data), ContactResult (data and message) and ContactPage (data and meta) in the
    OpenAPI document and generated clients, not DataResponse_list_ChannelOut__."""
    if get_origin(param) is list:
        return f"{_noun(get_args(param)[0])}List"
    name = getattr(param, "__name__", str(param))
    return name.removesuffix("Out")


class DataResponse(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        return f"{_noun(params[0])}Data"


class DataMessageResponse(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T
    message: str

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        return f"{_noun(params[0])}Result"


class MessageResponse(BaseModel):
    success: Literal[True] = True
    message: str


class PageResponse(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: list[T]
    meta: PageMeta

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        return f"{_noun(params[0])}Page"


class ErrorResponse(BaseModel):
    success: Literal[False] = False
    message: str
    errors: dict[str, list[str]] | None = Field(
        default=None, description="Per-field messages, keyed by the field's name."
    )
    data: Any = None
