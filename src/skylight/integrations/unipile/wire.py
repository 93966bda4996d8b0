"""Helpers shaping requests to and answers from Unipile."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from skylight.integrations.unipile.errors import UnipileProtocolError

ModelT = TypeVar("ModelT", bound=BaseModel)
Timestamp = datetime | str | None


def format_timestamp(value: Timestamp) -> str | None:
    """Unipile filters take UTC ISO 8601 with milliseconds."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("timestamps for Unipile must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def validate(model: type[ModelT], data: Any) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UnipileProtocolError(
            f"Unipile answer is not a valid {model.__name__}: {exc.error_count()} error(s)"
        ) from exc


def one_of(data: Any, *models: type[BaseModel]) -> Any:
    kind = data.get("object") if isinstance(data, dict) else None
    for model in models:
        # Every Unipile object's discriminator is its model's class name.
        if kind == model.__name__:
            return validate(model, data)
    raise UnipileProtocolError(f"unexpected Unipile object {kind!r}")


def drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def page_params(
    cursor: str | None, limit: int | None, after: Timestamp, before: Timestamp, **extra: str
) -> dict[str, Any]:
    # With a cursor Unipile takes the filters from the cursor; sending them again is harmless.
    return {
        "cursor": cursor,
        "limit": limit,
        "after": format_timestamp(after),
        "before": format_timestamp(before),
        **extra,
    }
