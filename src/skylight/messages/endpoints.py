from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import JSONResponse

from skylight.apikeys.dependencies import CurrentCaller
from skylight.idempotency import service as idempotency
from skylight.kit.dependencies import Db, UnipileDep
from skylight.kit.envelope import (
    DataMessageResponse,
    DataResponse,
    ErrorResponse,
    PageMeta,
    PageResponse,
)
from skylight.kit.pagination import Pagination
from skylight.kit.params import IdPath
from skylight.messages import history, service
from skylight.messages.schemas import MessageOut, SendFailure, SendIn
from skylight.messages.types import Direction

router = APIRouter(tags=["messages"])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=idempotency.HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Retries with the same key return the first response and never send twice.",
    ),
]


@router.post(
    "/messages/send",
    status_code=status.HTTP_201_CREATED,
    response_model=DataMessageResponse[MessageOut],
    responses={
        422: {"model": SendFailure | ErrorResponse, "description": "Not delivered: our side"},
        502: {"model": SendFailure, "description": "Not delivered: Unipile failed"},
        409: {"model": ErrorResponse, "description": "Idempotency-Key in use"},
    },
)
async def send_message(
    caller: CurrentCaller,
    db: Db,
    unipile: UnipileDep,
    body: SendIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    (code, payload), replayed = await idempotency.run(
        db,
        caller.workspace_id,
        idempotency_key,
        idempotency.fingerprint("POST", "/api/v1/messages/send", body.model_dump()),
        lambda: service.send(db, unipile, caller, body.contact_id, body.message),
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(payload, status_code=code, headers=headers)


# :int, so GET /messages/send is a 405 (POST only) rather than a 422 about the id.
@router.get("/messages/{message_id:int}", response_model=DataResponse[MessageOut])
async def get_message(
    caller: CurrentCaller, db: Db, message_id: IdPath
) -> DataResponse[MessageOut]:
    return DataResponse(data=await service.get_message(db, caller, message_id))


@router.get("/contacts/{contact_id}/messages", response_model=PageResponse[MessageOut])
async def contact_messages(
    caller: CurrentCaller,
    db: Db,
    contact_id: IdPath,
    page: Pagination,
    direction: Annotated[Direction | None, Query(description="inbound or outbound")] = None,
) -> PageResponse[MessageOut]:
    rows, total = await history.contact_history(db, caller, contact_id, page, direction)
    return PageResponse(
        data=rows, meta=PageMeta.build(page=page.page, per_page=page.per_page, total=total)
    )
