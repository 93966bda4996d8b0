from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from skylight.apikeys.dependencies import CurrentCaller
from skylight.channels.types import ChannelType
from skylight.conversations import service
from skylight.conversations.schemas import ConversationOut
from skylight.kit.dependencies import Db
from skylight.kit.envelope import PageMeta, PageResponse
from skylight.kit.pagination import Pagination
from skylight.kit.params import MAX_ID

router = APIRouter(prefix="/conversations", tags=["conversations"])


@router.get("", response_model=PageResponse[ConversationOut])
async def list_conversations(
    caller: CurrentCaller,
    db: Db,
    page: Pagination,
    channel: Annotated[ChannelType | None, Query(description="Filter by channel")] = None,
    contact_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Filter by contact")
    ] = None,
) -> PageResponse[ConversationOut]:
    rows, total = await service.list_conversations(
        db, caller.workspace_id, page, channel=channel, contact_id=contact_id
    )
    return PageResponse(
        data=rows, meta=PageMeta.build(page=page.page, per_page=page.per_page, total=total)
    )
