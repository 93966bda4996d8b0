"""Settings -> API keys: create (the key is shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from skylight.apikeys import service as keys
from skylight.dashboard.forms import PageNotFound, problem
from skylight.dashboard.security import PREFIX, Me, MeChecked
from skylight.dashboard.templating import page
from skylight.kit.dependencies import AppSettings, Db
from skylight.kit.errors import NotFound, SkylightError
from skylight.kit.params import MAX_ID
from skylight.users.service import SignedIn
from skylight.workspaces.service import get_by_slug

router = APIRouter(prefix="/settings/api-keys")
PAGE = f"{PREFIX}/settings/api-keys"


async def _page(
    request: Request,
    db: Db,
    me: SignedIn,
    *,
    created: tuple[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    async with db.transaction() as session:
        rows = list(await keys.list_keys(session, workspace_id=me.workspace_id))
    rows.reverse()  # newest first
    context = {"keys": rows, "created": created, "error": error}
    return await page(request, "api_keys.html", me, context, status_code=status_code)


@router.get("", include_in_schema=False)
async def keys_page(request: Request, me: Me, db: Db) -> Response:
    return await _page(request, db, me)


@router.post("", include_in_schema=False)
async def create(
    request: Request,
    me: MeChecked,
    db: Db,
    settings: AppSettings,
    name: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    try:
        async with db.transaction() as session:
            workspace = await get_by_slug(session, me.workspace_slug)
            made = await keys.create_key(session, workspace, name, settings.key_mode)
            created = (made.key.name, made.secret)
    except SkylightError as exc:
        return await _page(request, db, me, error=problem(exc), status_code=exc.status_code)
    return await _page(request, db, me, created=created, status_code=201)


@router.post("/{key_id:int}/revoke", include_in_schema=False)
async def revoke(request: Request, me: MeChecked, db: Db, key_id: int) -> Response:
    if not 1 <= key_id <= MAX_ID:
        raise PageNotFound("There is no such key.")
    try:
        async with db.transaction() as session:
            await keys.revoke_key(session, key_id, workspace_id=me.workspace_id)
    except NotFound:
        raise PageNotFound("There is no such key.") from None
    return RedirectResponse(PAGE, status_code=303)
