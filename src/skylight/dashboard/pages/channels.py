"""Settings -> Channels: connect with a QR code or Instagram credentials (and its 2FA), refresh,
disconnect, and in sandbox mode simulate the scan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from skylight.channels import instagram
from skylight.channels import service as channels
from skylight.channels.schemas import InstagramConnectIn, TwoFactorRequiredOut
from skylight.channels.types import QR_CHANNELS, ChannelType
from skylight.dashboard import service
from skylight.dashboard.forms import PageNotFound, parse, problem
from skylight.dashboard.security import PREFIX, Me, MeChecked
from skylight.dashboard.templating import page, render
from skylight.integrations.unipile.dependencies import UnipileDep
from skylight.integrations.unipile.errors import UnipileError
from skylight.kit.dependencies import Db
from skylight.kit.errors import SkylightError
from skylight.sandbox import service as sandbox
from skylight.users.service import SignedIn

router = APIRouter(prefix="/settings/channels")
PAGE = f"{PREFIX}/settings/channels"
AccountId = Annotated[str, Form(min_length=1, max_length=128)]


def _kind(value: str, *, qr_only: bool = False) -> ChannelType:
    try:
        kind = ChannelType(value)
    except ValueError:
        raise PageNotFound("There is no such channel.") from None
    if qr_only and kind not in QR_CHANNELS:
        raise PageNotFound(f"{kind.label} does not use a QR code.")
    return kind


def _back(kind: ChannelType) -> Response:
    return RedirectResponse(f"{PAGE}#{kind.value}", status_code=303)


async def _page(
    request: Request,
    db: Db,
    unipile: UnipileDep,
    me: SignedIn,
    *,
    kind: ChannelType | None = None,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    cards = await service.cards(db, me.workspace_id, me.workspace_timezone, unipile=unipile)
    messages = {kind: {"error": error, "notice": notice}} if kind else {}
    context = {"cards": cards, "messages": messages}
    return await page(request, "channels.html", me, context, status_code=status_code)


async def _refused(
    request: Request,
    db: Db,
    unipile: UnipileDep,
    me: SignedIn,
    kind: ChannelType,
    exc: SkylightError | UnipileError,
) -> Response:
    code = exc.status_code if isinstance(exc, SkylightError) else 502
    return await _page(request, db, unipile, me, kind=kind, error=problem(exc), status_code=code)


async def _card(db: Db, unipile: UnipileDep, me: SignedIn, kind: ChannelType) -> service.Card:
    return await service.card(db, me.workspace_id, kind, me.workspace_timezone, unipile=unipile)


@router.get("", include_in_schema=False)
async def channels_page(request: Request, me: Me, db: Db, unipile: UnipileDep) -> Response:
    return await _page(request, db, unipile, me)


@router.get("/{channel}/card", include_in_schema=False)
async def channel_card(
    request: Request, me: Me, db: Db, unipile: UnipileDep, channel: str
) -> Response:
    card = await _card(db, unipile, me, _kind(channel))
    return render(request, "_channel_card.html", me, {"card": card, "messages": {}})


@router.get("/{channel}/poll", include_in_schema=False)
async def poll(
    request: Request,
    me: Me,
    db: Db,
    unipile: UnipileDep,
    channel: str,
    shown: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """A card waiting for a scan, a code or the first sync asks every 2 s: 204 while nothing
    changed (the page keeps what it shows, e.g. a half-typed code), else the new card."""
    card = await _card(db, unipile, me, _kind(channel))
    if card.fingerprint == shown:
        return Response(status_code=204)
    return render(request, "_channel_card.html", me, {"card": card, "messages": {}})


@router.post("/instagram/connect", include_in_schema=False)
async def connect_instagram(
    request: Request,
    me: MeChecked,
    db: Db,
    unipile: UnipileDep,
    username: Annotated[str, Form(max_length=255)] = "",
    password: Annotated[str, Form(max_length=255)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    kind = ChannelType.INSTAGRAM
    try:
        # A country only when one was typed: Unipile then logs in from there.
        fields = {"username": username, "password": password}
        body = parse(InstagramConnectIn, fields | ({"country": country} if country else {}))
        await instagram.connect(db, me.workspace_id, body, me.workspace_timezone, unipile=unipile)
    except (SkylightError, UnipileError) as exc:
        return await _refused(request, db, unipile, me, kind, exc)
    return _back(kind)


@router.post("/instagram/2fa", include_in_schema=False)
async def solve_instagram(
    request: Request,
    me: MeChecked,
    db: Db,
    unipile: UnipileDep,
    account_id: AccountId,
    code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    kind = ChannelType.INSTAGRAM
    try:
        if not code.strip():
            return await _page(
                request, db, unipile, me, kind=kind, error="Enter the code.", status_code=422
            )
        result, message = await instagram.solve(
            db, me.workspace_id, account_id, code, me.workspace_timezone, unipile=unipile
        )
    except (SkylightError, UnipileError) as exc:
        return await _refused(request, db, unipile, me, kind, exc)
    if isinstance(result, TwoFactorRequiredOut):
        return await _page(request, db, unipile, me, kind=kind, notice=message)
    return _back(kind)


@router.post("/instagram/resend", include_in_schema=False)
async def resend_instagram(
    request: Request, me: MeChecked, db: Db, unipile: UnipileDep, account_id: AccountId
) -> Response:
    kind = ChannelType.INSTAGRAM
    try:
        message = await instagram.resend(db, me.workspace_id, account_id, unipile=unipile)
    except (SkylightError, UnipileError) as exc:
        return await _refused(request, db, unipile, me, kind, exc)
    return await _page(request, db, unipile, me, kind=kind, notice=message)


@router.post("/{channel}/connect", include_in_schema=False)
async def connect_qr(
    request: Request, me: MeChecked, db: Db, unipile: UnipileDep, channel: str
) -> Response:
    kind = _kind(channel, qr_only=True)
    try:
        await channels.connect_qr(db, me.workspace_id, kind, unipile=unipile)
    except (SkylightError, UnipileError) as exc:
        return await _refused(request, db, unipile, me, kind, exc)
    return _back(kind)


@router.post("/{channel}/refresh", include_in_schema=False)
async def refresh(
    request: Request, me: MeChecked, db: Db, unipile: UnipileDep, channel: str
) -> Response:
    kind = _kind(channel)
    try:
        out = await channels.refresh(
            db, me.workspace_id, kind, me.workspace_timezone, unipile=unipile
        )
    except (SkylightError, UnipileError) as exc:
        return await _refused(request, db, unipile, me, kind, exc)
    notice = f"Refreshed from Unipile: {out.sync_status.value}."
    return await _page(request, db, unipile, me, kind=kind, notice=notice)


@router.post("/{channel}/disconnect", include_in_schema=False)
async def disconnect(
    request: Request, me: MeChecked, db: Db, unipile: UnipileDep, channel: str
) -> Response:
    kind = _kind(channel)
    try:
        await channels.disconnect(db, me.workspace_id, kind, unipile=unipile)
    except (SkylightError, UnipileError) as exc:
        return await _refused(request, db, unipile, me, kind, exc)
    return _back(kind)


@router.post("/{channel}/simulate-scan", include_in_schema=False)
async def simulate_scan(
    request: Request,
    me: MeChecked,
    db: Db,
    unipile: UnipileDep,
    channel: str,
    account_id: AccountId,
    username: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    kind = _kind(channel, qr_only=True)
    control = getattr(request.app.state, "simulator", None)
    if control is None:
        raise PageNotFound("Simulate scan exists only in sandbox mode.")
    try:
        await sandbox.scan(
            db, me.workspace_id, account_id, username.strip() or None, control=control
        )
    except (SkylightError, UnipileError) as exc:
        return await _refused(request, db, unipile, me, kind, exc)
    return _back(kind)
