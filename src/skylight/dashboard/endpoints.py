"""The dashboard's router, its static files, and how its refusals become pages."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from skylight.dashboard.forms import PageNotFound
from skylight.dashboard.pages import (
    auth,
    campaigns,
    channels,
    contacts,
    files,
    inbox,
    keys,
    stream,
    webhooks,
)
from skylight.dashboard.security import PREFIX, CsrfRefused, SignInRequired, sign_in_url
from skylight.dashboard.templating import STATIC_DIR, render

router = APIRouter(prefix=PREFIX, tags=["dashboard"])
for page in (auth, channels, inbox, contacts, campaigns, keys, webhooks, stream, files):
    router.include_router(page.router)


async def _sign_in_required(request: Request, _exc: Exception) -> Response:
    target = sign_in_url(request)
    if request.headers.get("HX-Request"):
        # htmx would swap a redirect's page into a fragment; this makes the browser navigate.
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _csrf_refused(request: Request, _exc: Exception) -> Response:
    message = (
        "This form expired or did not come from this dashboard, so nothing was changed. "
        "Reload the page and try again."
    )
    return render(request, "error.html", None, {"message": message}, status_code=403)


async def _not_found(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, PageNotFound) else "Not found."
    return render(request, "error.html", None, {"message": message}, status_code=404)


async def _home() -> RedirectResponse:
    """Whoever opens the server's address (as `make run` prints it) lands on the dashboard."""
    return RedirectResponse(PREFIX, status_code=307)


def install_dashboard(app: FastAPI) -> None:
    app.add_api_route("/", _home, methods=["GET"], include_in_schema=False)
    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(PageNotFound, _not_found)
