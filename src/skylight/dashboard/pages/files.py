"""A message's files for the signed-in dashboard: images shown in the thread, files downloaded."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from skylight.dashboard.forms import PageNotFound
from skylight.dashboard.security import Me
from skylight.dashboard.templating import render
from skylight.files import serving
from skylight.files.dependencies import StorageDep
from skylight.files.responses import file_response
from skylight.integrations.unipile.dependencies import UnipileDep
from skylight.kit.dependencies import AppSettings, Db
from skylight.kit.errors import NotFound, SkylightError

router = APIRouter(prefix="/files")
FILE_ID = re.compile(r"^file_[A-Za-z0-9]{1,40}$")


@router.get("/{file_id}", include_in_schema=False)
async def download(
    request: Request,
    me: Me,
    db: Db,
    storage: StorageDep,
    unipile: UnipileDep,
    settings: AppSettings,
    file_id: str,
) -> Response:
    if not FILE_ID.match(file_id):
        raise PageNotFound("There is no such file.")
    try:
        content = await serving.content(db, storage, unipile, settings, me.workspace_id, file_id)
    except NotFound:
        raise PageNotFound("There is no such file.") from None
    except SkylightError as exc:  # unavailable (410), or not fetched yet (503)
        return render(
            request, "error.html", me, {"message": exc.message}, status_code=exc.status_code
        )
    return file_response(content)
