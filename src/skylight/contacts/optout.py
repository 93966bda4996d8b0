"""Opting out of campaigns: by replying a keyword (STOP, START, ...) or through the API.

A contact's `opted_out_at` is set while they do not want campaign messages; campaigns skip them
(campaigns.planning), direct sends still go and say so. The state follows whichever decision is
newest by its own time (`opt_changed_at`): a STOP that reconciliation only finds after a later
START changes nothing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from skylight.contacts.models import Contact
from skylight.contacts.repository import ContactRepository
from skylight.contacts.schemas import ContactOut
from skylight.events.service import emit
from skylight.kit.settings import Settings, get_settings

# Alef with hamza or madda (and alef wasla) written as a plain alef, taa marbuta as haa, alef
# maqsura as yaa: people type both forms of each.
_ALEF = "\u0627"
_ARABIC_FOLD = str.maketrans(
    {
        "\u0623": _ALEF,
        "\u0625": _ALEF,
        "\u0622": _ALEF,
        "\u0671": _ALEF,
        "\u0629": "\u0647",
        "\u0649": "\u064a",
    }
)
_SPACES = re.compile(r"\s+")


class Choice(StrEnum):
    OUT = "out"
    IN = "in"


def fold(text: str) -> str:
    """Case, spacing, Arabic letter forms, diacritics and invisible marks do not matter."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC_FOLD)
    kept = (
        ch
        for ch in unicodedata.normalize("NFD", text)
        # Mn: diacritics (harakat, accents); Cf: direction marks, zero-width joiners.
        # U+0640 is the tatweel, a stretch with no meaning.
        if unicodedata.category(ch) not in ("Mn", "Cf") and ch != "\u0640"
    )
    return _SPACES.sub(" ", "".join(kept)).strip()


@dataclass(frozen=True)
class Keywords:
    out: frozenset[str]
    back_in: frozenset[str]

    @classmethod
    def build(cls, out: Iterable[str], back_in: Iterable[str]) -> Keywords:
        return cls(frozenset(map(fold, out)) - {""}, frozenset(map(fold, back_in)) - {""})

    @classmethod
    def from_settings(cls, settings: Settings) -> Keywords:
        return cls.build(settings.opt_out_keywords, settings.opt_in_keywords)

    def choice(self, text: str | None) -> Choice | None:
        """What a message says when its whole text is a keyword; None for anything else."""
        if not text or len(text) > 64:
            return None
        word = fold(text)
        if word in self.out:
            return Choice.OUT
        if word in self.back_in:
            return Choice.IN
        return None


@lru_cache(maxsize=1)
def configured_keywords() -> Keywords:
    # Inbound ingest has no settings at hand (webhooks and reconciliation call it); the keyword
    # lists are read once from the process's settings.
    return Keywords.from_settings(get_settings())


async def decide(
    session: AsyncSession, contact: Contact, opted_out: bool, at: datetime, *, now: bool = False
) -> bool:
    """Record a decision made at `at` unless a newer one stands (`now`: one made this moment,
    e.g. through the API, which always stands). True when the state changed; emits
    contact.opted_out or contact.opted_in with the contact."""
    previous = contact.opt_changed_at
    if previous is not None and previous > at:
        if not now:
            return False
        at = previous  # a keyword's time from a clock a little ahead of ours
    contact.opt_changed_at = at
    if opted_out == (contact.opted_out_at is not None):
        return False
    contact.opted_out_at = at if opted_out else None
    await session.flush()
    kind = "contact.opted_out" if opted_out else "contact.opted_in"
    await emit(session, contact.workspace_id, kind, ContactOut.model_validate(contact))
    return True


async def on_message(
    session: AsyncSession,
    workspace_id: int,
    contact_id: int,
    text: str | None,
    at: datetime,
    *,
    inbound: bool,
    keywords: Keywords | None = None,
) -> None:
    """Called by ingest for every new message: an inbound keyword opts its sender out or in."""
    if not inbound:
        return
    choice = (keywords or configured_keywords()).choice(text)
    if choice is None:
        return
    contact = await ContactRepository(session, workspace_id).get(contact_id)
    if contact is not None:
        await decide(session, contact, choice is Choice.OUT, at)
