"""Campaigns: the list with progress, create, start, pause, resume and cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from skylight.campaigns import service as campaigns
from skylight.campaigns.schemas import CampaignCreate
from skylight.channels.types import ChannelType
from skylight.dashboard.forms import PageNotFound, parse, problem
from skylight.dashboard.security import PREFIX, Me, MeChecked
from skylight.dashboard.templating import page, render
from skylight.kit.dependencies import Db
from skylight.kit.errors import NotFound, SkylightError
from skylight.kit.pagination import PageParams
from skylight.kit.params import MAX_ID
from skylight.users.service import SignedIn

router = APIRouter(prefix="/campaigns")
PAGE = f"{PREFIX}/campaigns"
# Start takes a start_at too (the API's scheduling); from the page it starts now.
ACTIONS = {"pause": campaigns.pause, "resume": campaigns.resume, "cancel": campaigns.cancel}
Short = Annotated[str, Form(max_length=255)]


async def _rows(db: Db, me: SignedIn) -> list[Any]:
    async with db.transaction() as session:
        rows, _ = await campaigns.list_campaigns(
            session, me.workspace_id, PageParams(page=1, per_page=100)
        )
    return list(rows)


async def _page(
    request: Request,
    db: Db,
    me: SignedIn,
    *,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "campaigns": await _rows(db, me),
        "channels": list(ChannelType),
        "error": error,
        "notice": notice,
        "form": form or {},
    }
    return await page(request, "campaigns.html", me, context, status_code=status_code)


@router.get("", include_in_schema=False)
async def campaigns_page(request: Request, me: Me, db: Db) -> Response:
    return await _page(request, db, me)


@router.get("/rows", include_in_schema=False)
async def campaign_rows(request: Request, me: Me, db: Db) -> Response:
    return render(request, "_campaign_rows.html", me, {"campaigns": await _rows(db, me)})


@router.post("", include_in_schema=False)
async def create(
    request: Request,
    me: MeChecked,
    db: Db,
    name: Short = "",
    channel: Short = "whatsapp",
    message: Annotated[str, Form(max_length=5000)] = "",
    q: Short = "",
) -> Response:
    form = {"name": name, "channel": channel, "message": message, "q": q}
    fields = {
        "name": name,
        "channel": channel,
        "message": message,
        "filter": {"q": q.strip() or None},
    }
    try:
        body = parse(CampaignCreate, fields)
        async with db.transaction() as session:
            await campaigns.create_campaign(session, me.workspace_id, body)
    except SkylightError as exc:
        return await _page(
            request, db, me, error=problem(exc), form=form, status_code=exc.status_code
        )
    return RedirectResponse(PAGE, status_code=303)


@router.post("/{campaign_id:int}/{action}", include_in_schema=False)
async def act(request: Request, me: MeChecked, db: Db, campaign_id: int, action: str) -> Response:
    run = ACTIONS.get(action)
    if (run is None and action != "start") or not 1 <= campaign_id <= MAX_ID:
        raise PageNotFound("There is no such campaign action.")
    try:
        async with db.transaction() as session:
            if run is None:
                await campaigns.start(session, me.workspace_id, campaign_id, None)
            else:
                await run(session, me.workspace_id, campaign_id)
    except NotFound:
        raise PageNotFound("There is no such campaign.") from None
    except SkylightError as exc:
        return await _page(request, db, me, error=problem(exc), status_code=exc.status_code)
    return RedirectResponse(PAGE, status_code=303)
