"""/api/v1/sandbox/...: present only when the upstream is the simulator (404 otherwise)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status

from skylight.apikeys.dependencies import CurrentCaller
from skylight.channels.types import ChannelType
from skylight.integrations.unipile.dependencies import UnipileDep
from skylight.integrations.unipile.simulator.control import SimulatorControl
from skylight.kit.dependencies import Db
from skylight.kit.envelope import DataMessageResponse, DataResponse, MessageResponse
from skylight.kit.errors import NotFound
from skylight.kit.openapi import error
from skylight.kit.params import IdPath
from skylight.sandbox import service
from skylight.sandbox.inbound import read_inbound
from skylight.sandbox.schemas import FaultsIn, InboundOut, ScanIn, SentOut, StatusIn

router = APIRouter(prefix="/sandbox", tags=["sandbox"])
AccountId = Annotated[str, Path(min_length=1, max_length=128)]


async def _control(request: Request) -> SimulatorControl:
    control: SimulatorControl | None = request.app.state.simulator
    if control is None:
        raise NotFound("Not found.")
    return control


# Each endpoint declares the caller first: a call without a valid key is a 401 even where the
# sandbox is absent.
Control = Annotated[SimulatorControl, Depends(_control)]


@router.post("/accounts/{account_id}/scan", response_model=MessageResponse)
async def scan(
    caller: CurrentCaller,
    db: Db,
    control: Control,
    account_id: AccountId,
    body: ScanIn | None = None,
) -> MessageResponse:
    username = body.username if body else None
    await service.scan(db, caller.workspace_id, account_id, username, control=control)
    return MessageResponse(message="QR code scanned; the account is connecting.")


@router.post("/accounts/{account_id}/fail", response_model=MessageResponse)
async def fail(
    caller: CurrentCaller, db: Db, control: Control, account_id: AccountId
) -> MessageResponse:
    await service.fail(db, caller.workspace_id, account_id, control=control)
    return MessageResponse(message="The QR connection attempt failed.")


@router.post("/accounts/{account_id}/status", response_model=MessageResponse)
async def set_status(
    caller: CurrentCaller, db: Db, control: Control, account_id: AccountId, body: StatusIn
) -> MessageResponse:
    await service.set_status(db, caller.workspace_id, account_id, body.status, control=control)
    return MessageResponse(message=f"Upstream status set to {body.status}.")


_INBOUND_FIELDS: dict[str, Any] = {
    "channel": {"type": "string", "enum": [c.value for c in ChannelType]},
    "from": {"type": "string", "description": "WhatsApp: a phone; Telegram, Instagram: a user"},
    "name": {"type": "string"},
    "text": {"type": "string", "description": "Optional with a file"},
}
INBOUND_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "JSON, or multipart/form-data with the same fields and an optional `file` (the "
            "received photo, document, voice note...)."
        ),
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["channel", "from"],
                    "properties": _INBOUND_FIELDS,
                    "additionalProperties": False,
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["channel", "from"],
                    "properties": {
                        **_INBOUND_FIELDS,
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            },
        },
    }
}


@router.post(
    "/inbound",
    status_code=status.HTTP_201_CREATED,
    response_model=DataMessageResponse[InboundOut],
    responses={
        413: error("The file is larger than the channel takes"),
        415: error("Send JSON, or multipart/form-data with an optional `file`"),
    },
    openapi_extra=INBOUND_BODY,
)
async def inbound(
    caller: CurrentCaller, db: Db, control: Control, request: Request
) -> DataMessageResponse[InboundOut]:
    """A message from someone to the connected account, through Unipile's webhook like a real
    one; with a file, a received attachment (its bytes then come from Unipile's route)."""
    body, file = await read_inbound(request)
    result = await service.inbound(db, caller.workspace_id, body, file, control=control)
    return DataMessageResponse(data=result, message="Inbound message delivered to Unipile.")


@router.post("/messages/{message_id}/delivered", response_model=MessageResponse)
async def delivered(
    caller: CurrentCaller, db: Db, unipile: UnipileDep, control: Control, message_id: IdPath
) -> MessageResponse:
    await service.receipt(
        db, caller.workspace_id, message_id, "delivered", control=control, unipile=unipile
    )
    return MessageResponse(message="Delivered receipt sent.")


@router.post("/messages/{message_id}/read", response_model=MessageResponse)
async def read(
    caller: CurrentCaller, db: Db, unipile: UnipileDep, control: Control, message_id: IdPath
) -> MessageResponse:
    await service.receipt(
        db, caller.workspace_id, message_id, "read", control=control, unipile=unipile
    )
    return MessageResponse(message="Read receipt sent.")


@router.get("/sent", response_model=DataResponse[list[SentOut]])
async def sent(caller: CurrentCaller, db: Db, control: Control) -> DataResponse[list[SentOut]]:
    return DataResponse(data=await service.sent(db, caller.workspace_id, control=control))


@router.post("/faults", response_model=DataResponse[FaultsIn])
async def faults(caller: CurrentCaller, control: Control, body: FaultsIn) -> DataResponse[FaultsIn]:
    return DataResponse(data=await service.set_faults(caller.workspace_id, body, control=control))
