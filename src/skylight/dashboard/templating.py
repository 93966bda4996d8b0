"""Jinja2 templates, the context every page gets, and the headers every page is sent with."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from skylight import __version__
from skylight.dashboard.repository import DashboardRepository
from skylight.dashboard.security import CSRF_FIELD, CSRF_HEADER, PREFIX
from skylight.kit.db import Database
from skylight.users.service import SignedIn

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

# Our own files only; inline scripts and styles are refused, images may be data: (QR codes).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Pages show messages and one-time secrets: never keep them in a shared cache.
    "Cache-Control": "no-store",
}


def local_time(value: datetime | None, timezone: str, fmt: str = "%d %b %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt)


def iso_time(value: str | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """An ISO 8601 string the API already put in the workspace's zone, shown as it is there."""
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime(fmt)


def file_size(value: int | None) -> str:
    if value is None:
        return "size unknown"
    if value < 1000:
        return f"{value} bytes"
    if value < 1_000_000:
        return f"{value / 1000:.0f} KB"
    return f"{value / 1_000_000:.1f} MB"


templates.env.filters["local"] = local_time
templates.env.filters["file_size"] = file_size
templates.env.filters["iso_time"] = iso_time
templates.env.globals.update(
    prefix=PREFIX,
    static=f"{PREFIX}/static",
    version=__version__,
    csrf_field=CSRF_FIELD,
    csrf_header=CSRF_HEADER,
)


def render(
    request: Request,
    name: str,
    me: SignedIn | None,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page or fragment. A page rendered in answer to a form (not a redirect) keeps the
    address bar where the form was (HX-Push-Url: false), so a reload does not post again."""
    values: dict[str, Any] = {
        "me": me,
        "sandbox": getattr(request.app.state, "simulator", None) is not None,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    if request.method != "GET":
        response.headers["HX-Push-Url"] = "false"
    response.headers.update(headers or {})
    return response


async def page(
    request: Request,
    name: str,
    me: SignedIn,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A whole page of a signed-in user. Its live stream starts after the newest event as the
    page is rendered, so nothing that happens while the browser connects is missed."""
    db: Database = request.app.state.db
    async with db.transaction() as session:
        cursor = await DashboardRepository(session, me.workspace_id).latest_event_id()
    values = {"cursor": cursor, **(context or {})}
    return render(request, name, me, values, status_code=status_code)
