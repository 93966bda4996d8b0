from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import JSONResponse

from skylight.apikeys.dependencies import CurrentCaller
from skylight.conversations.schemas import ConversationOut
from skylight.files.dependencies import StorageDep
from skylight.idempotency import service as idempotency
from skylight.integrations.unipile.dependencies import UnipileDep
from skylight.kit.dependencies import Db, DbSession
from skylight.kit.envelope import (
    DataMessageResponse,
    DataResponse,
    ErrorResponse,
    PageMeta,
    PageResponse,
)
from skylight.kit.pagination import Pagination
from skylight.kit.params import IdPath
from skylight.messages import history, reading, service
from skylight.messages.schemas import (
    MessageOut,
    SendFailure,
    SendFailureData,
    SendIn,
    SentMessageOut,
)
from skylight.messages.types import Direction, MessageStatus

router = APIRouter(tags=["messages"])
SENT = "Message sent successfully."

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
    response_model=DataMessageResponse[SentMessageOut],
    responses={
        413: {"model": ErrorResponse, "description": "A file over its channel's size limit"},
        422: {"model": SendFailure | ErrorResponse, "description": "Not delivered: our side"},
        502: {"model": SendFailure, "description": "Not delivered: Unipile failed"},
        409: {"model": ErrorResponse, "description": "Idempotency-Key in use"},
    },
)
async def send_message(
    caller: CurrentCaller,
    db: Db,
    unipile: UnipileDep,
    storage: StorageDep,
    body: SendIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def send() -> idempotency.Rendered:
        outcome = await service.send(
            db,
            caller.workspace_id,
            body.contact_id,
            body.message,
            unipile=unipile,
            attachments=body.attachments,
            storage=storage,
        )
        return render_send(outcome)

    # Defaults left out: a text-only request keeps the fingerprint it always had.
    request = body.model_dump(exclude_defaults=True)
    (code, payload), replayed = await idempotency.run(
        db,
        caller.workspace_id,
        idempotency_key,
        idempotency.fingerprint("POST", "/api/v1/messages/send", request),
        send,
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(payload, status_code=code, headers=headers)


def render_send(outcome: service.SendOutcome) -> idempotency.Rendered:
    """The seed's answers: 201 with the message; 422 (our side) or 502 (Unipile) with the
    saved message's id, status and reason."""
    message = outcome.message
    if isinstance(outcome, service.Sent):
        sent = SentMessageOut.model_validate(message).model_copy(
            update={"opted_out": outcome.opted_out}
        )
        data = sent.model_dump(mode="json")
        return 201, {"success": True, "data": data, "message": SENT}
    failure = SendFailure(
        data=SendFailureData(
            id=message.id,
            status="pending" if message.status == MessageStatus.PENDING else "failed",
            error=message.error or "Unknown error.",
        )
    )
    return (422 if isinstance(outcome, service.Refused) else 502), failure.model_dump(mode="json")


# :int, so GET /messages/send is a 405 (POST only) rather than a 422 about the id.
@router.get("/messages/{message_id:int}", response_model=DataResponse[MessageOut])
async def get_message(
    caller: CurrentCaller, db: Db, message_id: IdPath
) -> DataResponse[MessageOut]:
    return DataResponse(data=await service.get_message(db, caller.workspace_id, message_id))


@router.get("/contacts/{contact_id}/messages", response_model=PageResponse[MessageOut])
async def list_contact_history(
    caller: CurrentCaller,
    db: Db,
    contact_id: IdPath,
    page: Pagination,
    direction: Annotated[Direction | None, Query(description="inbound or outbound")] = None,
) -> PageResponse[MessageOut]:
    rows, total = await history.contact_history(
        db, caller.workspace_id, contact_id, page, direction
    )
    return PageResponse(
        data=rows, meta=PageMeta.build(page=page.page, per_page=page.per_page, total=total)
    )


# Under /conversations, where clients look for it; here because it moves message statuses.
read_router = APIRouter(prefix="/conversations", tags=["conversations"])


@read_router.post("/{contact_id}/read", response_model=DataMessageResponse[ConversationOut])
async def mark_read(
    caller: CurrentCaller, session: DbSession, contact_id: IdPath
) -> DataMessageResponse[ConversationOut]:
    conversation = await reading.mark_conversation_read(session, caller.workspace_id, contact_id)
    return DataMessageResponse(data=conversation, message="Conversation marked as read.")
