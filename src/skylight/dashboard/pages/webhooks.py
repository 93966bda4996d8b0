"""Settings -> Webhooks: endpoints (the signing secret shown once), their recent deliveries,
redeliver, a test event, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from skylight.dashboard.forms import PageNotFound, parse, problem
from skylight.dashboard.security import PREFIX, Me, MeChecked
from skylight.dashboard.templating import page
from skylight.kit.dependencies import AppSettings, Db
from skylight.kit.errors import NotFound, SkylightError
from skylight.kit.pagination import PageParams
from skylight.kit.params import MAX_ID
from skylight.users.service import SignedIn
from skylight.webhooks import service as webhooks
from skylight.webhooks.schemas import EndpointCreate, EndpointWithSecret

router = APIRouter(prefix="/settings/webhooks")
PAGE = f"{PREFIX}/settings/webhooks"
RECENT = PageParams(page=1, per_page=10)


def _id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise PageNotFound("There is no such webhook endpoint.")
    return value


async def _page(
    request: Request,
    db: Db,
    me: SignedIn,
    *,
    created: EndpointWithSecret | None = None,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    endpoints: list[dict[str, Any]] = []
    async with db.transaction() as session:
        for endpoint in await webhooks.list_endpoints(session, me.workspace_id):
            recent = await webhooks.deliveries(session, me.workspace_id, endpoint.id, RECENT)
            endpoints.append({"endpoint": endpoint, "deliveries": recent})
    context = {
        "endpoints": endpoints,
        "created": created,
        "error": error,
        "notice": notice,
        "form": form or {},
    }
    return await page(request, "webhooks.html", me, context, status_code=status_code)


@router.get("", include_in_schema=False)
async def webhooks_page(request: Request, me: Me, db: Db) -> Response:
    return await _page(request, db, me)


@router.post("", include_in_schema=False)
async def create(
    request: Request,
    me: MeChecked,
    db: Db,
    settings: AppSettings,
    url: Annotated[str, Form(max_length=2048)] = "",
    description: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    form = {"url": url, "description": description}
    try:
        body = parse(EndpointCreate, {"url": url.strip(), "description": description or None})
        async with db.transaction() as session:
            created = await webhooks.create(session, me.workspace_id, body, settings)
    except SkylightError as exc:
        return await _page(
            request, db, me, error=problem(exc), form=form, status_code=exc.status_code
        )
    return await _page(request, db, me, created=created, status_code=201)


@router.post("/{endpoint_id:int}/test", include_in_schema=False)
async def send_test(request: Request, me: MeChecked, db: Db, endpoint_id: int) -> Response:
    try:
        async with db.transaction() as session:
            event_id = await webhooks.send_test(session, me.workspace_id, _id(endpoint_id))
    except NotFound:
        raise PageNotFound("There is no such webhook endpoint.") from None
    return await _page(request, db, me, notice=f"Test event {event_id} queued for delivery.")


@router.post("/{endpoint_id:int}/deliveries/{delivery_id:int}/redeliver", include_in_schema=False)
async def redeliver(
    request: Request, me: MeChecked, db: Db, endpoint_id: int, delivery_id: int
) -> Response:
    try:
        async with db.transaction() as session:
            await webhooks.redeliver(session, me.workspace_id, _id(endpoint_id), _id(delivery_id))
    except NotFound:
        raise PageNotFound("There is no such delivery.") from None
    return await _page(request, db, me, notice=f"Delivery {delivery_id} queued again.")


@router.post("/{endpoint_id:int}/delete", include_in_schema=False)
async def delete(request: Request, me: MeChecked, db: Db, endpoint_id: int) -> Response:
    try:
        async with db.transaction() as session:
            await webhooks.delete(session, me.workspace_id, _id(endpoint_id))
    except NotFound:
        raise PageNotFound("There is no such webhook endpoint.") from None
    return RedirectResponse(PAGE, status_code=303)
