"""Every endpoint and flow of channels-api.txt."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from skylight.apikeys.dependencies import CurrentCaller
from skylight.channels import instagram, instagram_errors, qr, service
from skylight.channels.schemas import (
    ChannelOut,
    ChannelStatusOut,
    InstagramCodeIn,
    InstagramConnectIn,
    InstagramResendIn,
    QrConnectOut,
    TwoFactorRequiredOut,
)
from skylight.channels.types import QR_CHANNELS, ChannelType
from skylight.integrations.unipile.dependencies import UnipileDep
from skylight.kit.dependencies import Db, DbSession
from skylight.kit.envelope import DataMessageResponse, DataResponse, MessageResponse
from skylight.kit.errors import NotFound
from skylight.kit.openapi import CONFLICT
from skylight.kit.params import CleanStr

router = APIRouter(prefix="/channels", tags=["channels"])

QR_MESSAGES = {
    ChannelType.WHATSAPP: "QR code generated. Scan with WhatsApp on your phone: "
    "Settings → Linked devices → Link a device.",
    ChannelType.TELEGRAM: "QR code generated. Open Telegram → Settings → Devices → "
    "Link Desktop Device, then scan.",
}
AccountIdQuery = Annotated[
    CleanStr | None,
    Query(max_length=128, description="Returned by /connect. Omit for the current account."),
]


async def _channel_type(
    channel: Annotated[str, Path(description="whatsapp, telegram or instagram")],
) -> ChannelType:
    try:
        return ChannelType(channel)
    except ValueError:
        raise NotFound(
            f"Unknown channel '{channel}'. Use whatsapp, telegram or instagram."
        ) from None


async def _qr_channel_type(
    channel_type: Annotated[ChannelType, Depends(_channel_type)],
) -> ChannelType:
    if channel_type not in QR_CHANNELS:
        raise NotFound(f"{channel_type.label} does not use a QR code.")
    return channel_type


# Each endpoint declares the caller first: a call without a valid key is a 401 before the
# channel in its path is looked at.
AnyChannel = Annotated[ChannelType, Depends(_channel_type)]
QrChannel = Annotated[ChannelType, Depends(_qr_channel_type)]
INSTAGRAM = ChannelType.INSTAGRAM


@router.get("", response_model=DataResponse[list[ChannelOut]])
async def list_channels(
    caller: CurrentCaller, session: DbSession
) -> DataResponse[list[ChannelOut]]:
    channels = await service.list_channels(session, caller.workspace_id, caller.workspace_timezone)
    return DataResponse(data=channels)


# Instagram's own routes come first so /channels/{channel}/connect does not capture them.
@router.post(
    "/instagram/connect",
    response_model=DataResponse[ChannelOut] | DataMessageResponse[TwoFactorRequiredOut],
    responses=CONFLICT,
)
async def connect_instagram(
    caller: CurrentCaller, db: Db, unipile: UnipileDep, body: InstagramConnectIn
) -> DataResponse[ChannelOut] | DataMessageResponse[TwoFactorRequiredOut]:
    result = await instagram.connect(
        db, caller.workspace_id, body, caller.workspace_timezone, unipile=unipile
    )
    if isinstance(result, TwoFactorRequiredOut):
        message = instagram_errors.checkpoint_message(result.checkpoint_type)
        return DataMessageResponse(data=result, message=message)
    return DataResponse(data=result)


@router.post(
    "/instagram/2fa",
    response_model=DataMessageResponse[ChannelOut] | DataMessageResponse[TwoFactorRequiredOut],
)
async def solve_instagram_2fa(
    caller: CurrentCaller, db: Db, unipile: UnipileDep, body: InstagramCodeIn
) -> DataMessageResponse[ChannelOut] | DataMessageResponse[TwoFactorRequiredOut]:
    result, message = await instagram.solve(
        db,
        caller.workspace_id,
        body.account_id,
        body.code,
        caller.workspace_timezone,
        unipile=unipile,
    )
    if isinstance(result, TwoFactorRequiredOut):
        return DataMessageResponse[TwoFactorRequiredOut](data=result, message=message)
    return DataMessageResponse[ChannelOut](data=result, message=message)


@router.post("/instagram/2fa/resend", response_model=MessageResponse)
async def resend_instagram_2fa(
    caller: CurrentCaller, db: Db, unipile: UnipileDep, body: InstagramResendIn
) -> MessageResponse:
    message = await instagram.resend(db, caller.workspace_id, body.account_id, unipile=unipile)
    return MessageResponse(message=message)


@router.post(
    "/{channel}/connect", response_model=DataMessageResponse[QrConnectOut], responses=CONFLICT
)
async def connect(
    caller: CurrentCaller, db: Db, unipile: UnipileDep, channel_type: QrChannel
) -> DataMessageResponse[QrConnectOut]:
    result = await service.connect_qr(db, caller.workspace_id, channel_type, unipile=unipile)
    return DataMessageResponse(data=result, message=QR_MESSAGES[channel_type])


@router.get("/instagram/status", response_model=DataResponse[ChannelOut])
async def instagram_status(
    caller: CurrentCaller, db: Db, unipile: UnipileDep, account_id: AccountIdQuery = None
) -> DataResponse[ChannelOut]:
    """The seed: Instagram's status is the channel object, from local records."""
    result, _ = await service.status(
        db, caller.workspace_id, INSTAGRAM, account_id, caller.workspace_timezone, unipile=unipile
    )
    return DataResponse(data=ChannelOut(**result.model_dump(exclude={"completed", "in_progress"})))


@router.get(
    "/{channel}/status",
    response_model=DataResponse[ChannelStatusOut] | DataMessageResponse[ChannelStatusOut],
)
async def channel_status(
    caller: CurrentCaller,
    db: Db,
    unipile: UnipileDep,
    channel_type: AnyChannel,
    account_id: AccountIdQuery = None,
) -> DataResponse[ChannelStatusOut] | DataMessageResponse[ChannelStatusOut]:
    result, message = await service.status(
        db,
        caller.workspace_id,
        channel_type,
        account_id,
        caller.workspace_timezone,
        unipile=unipile,
    )
    if message is None:
        return DataResponse(data=result)
    # Only an attempt that ended without connecting carries a message: why it ended.
    return DataMessageResponse(data=result, message=message)


@router.get(
    "/{channel}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The QR code"}},
)
async def qr_image(
    caller: CurrentCaller,
    db: Db,
    channel_type: QrChannel,
    account_id: Annotated[CleanStr, Query(min_length=1, max_length=128)],
) -> Response:
    svg = await qr.qr_svg(db, caller.workspace_id, channel_type, account_id)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.post("/{channel}/refresh", response_model=DataResponse[ChannelOut])
async def refresh(
    caller: CurrentCaller, db: Db, unipile: UnipileDep, channel_type: AnyChannel
) -> DataResponse[ChannelOut]:
    channel = await service.refresh(
        db, caller.workspace_id, channel_type, caller.workspace_timezone, unipile=unipile
    )
    return DataResponse(data=channel)


@router.post(
    "/{channel}/disconnect", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def disconnect(
    caller: CurrentCaller, db: Db, unipile: UnipileDep, channel_type: AnyChannel
) -> Response:
    await service.disconnect(db, caller.workspace_id, channel_type, unipile=unipile)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
