"""Input types shared by every domain, bounded so bad input is a 422 and never a database error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field

# Primary keys are 32-bit on PostgreSQL; a larger number could only be "not found" anyway.
MAX_ID = 2**31 - 1


def reject_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it up front on every dialect.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
ResourceId = Annotated[int, Field(ge=1, le=MAX_ID)]
CleanStr = Annotated[str, AfterValidator(reject_nul)]
