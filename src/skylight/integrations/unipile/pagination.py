"""Walking Unipile's cursor-paginated lists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from skylight.integrations.unipile.errors import UnipileProtocolError

ItemT = TypeVar("ItemT")
ItemT_co = TypeVar("ItemT_co", covariant=True)


class CursorPage(Protocol[ItemT_co]):
    @property
    def items(self) -> Sequence[ItemT_co]: ...

    @property
    def cursor(self) -> str | None: ...


async def iterate_pages(
    fetch: Callable[[str | None], Awaitable[CursorPage[ItemT]]],
) -> AsyncIterator[ItemT]:
    """Yield every item of every page; ``fetch(cursor)`` loads one page (None = first)."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = await fetch(cursor)
        for item in page.items:
            yield item
        if not page.cursor:
            return
        if page.cursor in seen:
            # A cursor that comes back would loop forever.
            raise UnipileProtocolError("Unipile returned a cursor it had already returned")
        seen.add(page.cursor)
        cursor = page.cursor
