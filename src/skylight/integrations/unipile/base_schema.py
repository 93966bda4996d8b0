"""Common base of the Unipile schemas, and the tolerance rules every model follows.

Unipile's objects are large and change over time (the "Corrections" of our reference, item 8):
each model requires only the fields SkyLight uses, keeps every other one, and a list page
skips (and logs) an item it cannot read instead of failing the whole page."""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

logger = logging.getLogger("skylight.unipile")

# Unipile flags on chats, messages and attendees are the integers 0/1, never JSON booleans.
Flag = Literal[0, 1]


class UnipileModel(BaseModel):
    # Unipile adds fields over time; unknown ones are kept, never a reason to fail.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


def skip_unreadable(model: type[BaseModel]) -> BeforeValidator:
    """For ``Annotated[list[Model], skip_unreadable(Model)]``: entries that are not a valid
    ``model`` are logged (by id only: items hold texts and names) and left out."""

    def keep_readable(value: Any) -> Any:
        if not isinstance(value, list):
            return value  # the list type itself then fails, as it should
        kept: list[Any] = []
        for item in value:
            try:
                kept.append(model.model_validate(item))
            except ValidationError as exc:
                item_id = item.get("id") if isinstance(item, dict) else None
                where = ".".join(str(p) for p in exc.errors()[0]["loc"])
                logger.warning(
                    "skipped an unreadable Unipile %s (id %r): %d error(s), first at %s",
                    model.__name__,
                    item_id,
                    exc.error_count(),
                    where,
                )
        return kept

    return BeforeValidator(keep_readable)
