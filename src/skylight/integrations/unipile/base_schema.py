"""Common base of the Unipile schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

# Unipile flags on chats, messages and attendees are the integers 0/1, never JSON booleans.
Flag = Literal[0, 1]


class UnipileModel(BaseModel):
    # Unipile adds fields over time; unknown ones are kept, never a reason to fail.
    model_config = ConfigDict(extra="allow", populate_by_name=True)
