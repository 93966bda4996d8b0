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
from skylight.channels.service import ChannelContext
from skylight.channels.types import QR_CHANNELS, ChannelType
from skylight.integrations.unipile.dependencies import UnipileDep
from skylight.kit.dependencies import Db
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


def _context(
    caller: CurrentCaller,
    db: Db,
    unipile: UnipileDep,
    channel: Annotated[str, Path(description="whatsapp, telegram or instagram")],
) -> ChannelContext:
    try:
        channel_type = ChannelType(channel)
    except ValueError:
        raise NotFound(
            f"Unknown channel '{channel}'. Use whatsapp, telegram or instagram."
        ) from None
    return ChannelContext(db=db, unipile=unipile, caller=caller, type=channel_type)


def _qr_context(ctx: Annotated[ChannelContext, Depends(_context)]) -> ChannelContext:
    if ctx.type not in QR_CHANNELS:
        raise NotFound(f"{ctx.type.label} does not use a QR code.")
    return ctx


def _instagram(caller: CurrentCaller, db: Db, unipile: UnipileDep) -> ChannelContext:
    return ChannelContext(db=db, unipile=unipile, caller=caller, type=ChannelType.INSTAGRAM)


Ctx = Annotated[ChannelContext, Depends(_context)]
QrCtx = Annotated[ChannelContext, Depends(_qr_context)]
InstagramCtx = Annotated[ChannelContext, Depends(_instagram)]


@router.get("", response_model=DataResponse[list[ChannelOut]])
async def list_channels(caller: CurrentCaller, db: Db) -> DataResponse[list[ChannelOut]]:
    return DataResponse(data=await service.list_channels(db, caller))


# Instagram's own routes come first so /channels/{channel}/connect does not capture them.
@router.post(
    "/instagram/connect",
    response_model=DataResponse[ChannelOut] | DataMessageResponse[TwoFactorRequiredOut],
    responses=CONFLICT,
)
async def connect_instagram(
    ctx: InstagramCtx, body: InstagramConnectIn
) -> DataResponse[ChannelOut] | DataMessageResponse[TwoFactorRequiredOut]:
    result = await instagram.connect(ctx, body)
    if isinstance(result, TwoFactorRequiredOut):
        message = instagram_errors.checkpoint_message(result.checkpoint_type)
        return DataMessageResponse(data=result, message=message)
    return DataResponse(data=result)


@router.post(
    "/instagram/2fa",
    response_model=DataMessageResponse[ChannelOut] | DataMessageResponse[TwoFactorRequiredOut],
)
async def solve_instagram_2fa(
    ctx: InstagramCtx, body: InstagramCodeIn
) -> DataMessageResponse[ChannelOut] | DataMessageResponse[TwoFactorRequiredOut]:
    result, message = await instagram.solve(ctx, body.account_id, body.code)
    if isinstance(result, TwoFactorRequiredOut):
        return DataMessageResponse[TwoFactorRequiredOut](data=result, message=message)
    return DataMessageResponse[ChannelOut](data=result, message=message)


@router.post("/instagram/2fa/resend", response_model=MessageResponse)
async def resend_instagram_2fa(ctx: InstagramCtx, body: InstagramResendIn) -> MessageResponse:
    return MessageResponse(message=await instagram.resend(ctx, body.account_id))


@router.post(
    "/{channel}/connect", response_model=DataMessageResponse[QrConnectOut], responses=CONFLICT
)
async def connect(ctx: QrCtx) -> DataMessageResponse[QrConnectOut]:
    result = await service.connect_qr(ctx)
    return DataMessageResponse(data=result, message=QR_MESSAGES[ctx.type])


@router.get("/instagram/status", response_model=DataResponse[ChannelOut])
async def instagram_status(
    ctx: InstagramCtx, account_id: AccountIdQuery = None
) -> DataResponse[ChannelOut]:
    """The seed: Instagram's status is the channel object, from local records."""
    result, _ = await service.status(ctx, account_id)
    return DataResponse(data=ChannelOut(**result.model_dump(exclude={"completed", "in_progress"})))


@router.get(
    "/{channel}/status",
    response_model=DataResponse[ChannelStatusOut] | DataMessageResponse[ChannelStatusOut],
)
async def channel_status(
    ctx: Ctx, account_id: AccountIdQuery = None
) -> DataResponse[ChannelStatusOut] | DataMessageResponse[ChannelStatusOut]:
    result, message = await service.status(ctx, account_id)
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
    ctx: QrCtx, account_id: Annotated[CleanStr, Query(min_length=1, max_length=128)]
) -> Response:
    svg = await qr.qr_svg(ctx, account_id)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.post("/{channel}/refresh", response_model=DataResponse[ChannelOut])
async def refresh(ctx: Ctx) -> DataResponse[ChannelOut]:
    return DataResponse(data=await service.refresh(ctx))


@router.post(
    "/{channel}/disconnect", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def disconnect(ctx: Ctx) -> Response:
    await service.disconnect(ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
