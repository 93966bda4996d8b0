"""What keeps a file from the sweep: a column that references it. A message's attachments
always do; domains above this one (campaigns) register theirs at start-up (skylight.wiring),
so this package never imports them. The foreign keys stay the last word: a file in use can
never be deleted, even by a sweep that was told too little."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import InstrumentedAttribute

from skylight.files.models import MessageAttachment

_holders: list[InstrumentedAttribute[Any]] = [MessageAttachment.file_id]


def hold_files_with(column: InstrumentedAttribute[Any]) -> None:
    """Idempotent: `column` holds a files.id (or null)."""
    # Identity, not ==: a column's == builds an SQL expression.
    if not any(held is column for held in _holders):
        _holders.append(column)


def holders() -> tuple[InstrumentedAttribute[Any], ...]:
    return tuple(_holders)
