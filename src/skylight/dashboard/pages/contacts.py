"""Contacts: the list with search, channel filter and pages; a contact's page to edit, opt out
or in, and delete; and "Import CSV", whose progress and row errors show live."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from skylight.channels.types import ChannelType
from skylight.contacts import exports, imports, service
from skylight.contacts.import_schemas import FINISHED, ContactImportOut
from skylight.contacts.schemas import ContactUpdate
from skylight.dashboard.forms import PageNotFound, parse, problem
from skylight.dashboard.security import PREFIX, Me, MeChecked
from skylight.dashboard.templating import page, render
from skylight.kit.bodies import multipart_file
from skylight.kit.dependencies import AppSettings, Db
from skylight.kit.errors import NotFound, SkylightError
from skylight.kit.pagination import PageParams
from skylight.kit.params import MAX_ID
from skylight.users.service import SignedIn

router = APIRouter(prefix="/contacts")
_DIGITS = re.compile(r"[0-9]+")
PAGE = f"{PREFIX}/contacts"
PER_PAGE = 25
Short = Annotated[str, Form(max_length=255)]
CHANNELS = {c.value: c for c in ChannelType}


@dataclass(frozen=True)
class Filters:
    """The list's search, channel and page, forgiving of whatever is typed into the address."""

    q: str = ""
    channel: ChannelType | None = None
    page: int = 1

    @classmethod
    def read(cls, q: str | None, channel: str | None, page: str | None) -> Filters:
        # ASCII digits only: str.isdigit() accepts "²", which int() refuses (a 500).
        number = int(page) if page and _DIGITS.fullmatch(page) and len(page) < 7 else 1
        search = (q or "").replace("\x00", "").strip()[:100]
        return cls(search, CHANNELS.get(channel or ""), max(number, 1))

    def query(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "q": self.q,
            "channel": self.channel.value if self.channel else "",
        }
        values["page"] = self.page
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1)})


def _contact_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise PageNotFound("There is no such contact.")
    return value


def _back(value: str) -> str:
    """Where a change returns to: a page of the contacts, never anywhere else."""
    if value.startswith(PAGE) and "//" not in value and "\\" not in value:
        return value
    return PAGE


async def _listing(db: Db, me: SignedIn, filters: Filters) -> dict[str, Any]:
    params = PageParams(page=filters.page, per_page=PER_PAGE)
    async with db.read() as session:
        rows, total = await service.list_contacts(
            session, me.workspace_id, params, channel=filters.channel, q=filters.q or None
        )
    last = max(1, -(-total // PER_PAGE))
    return {"contacts": list(rows), "total": total, "last_page": last, "filters": filters}


async def _import(db: Db, me: SignedIn, import_id: int) -> ContactImportOut | None:
    try:
        async with db.read() as session:
            job = await imports.get_import(session, me.workspace_id, _contact_id(import_id))
    except (NotFound, PageNotFound):
        return None
    return ContactImportOut.build(job)


async def _page(
    request: Request,
    db: Db,
    me: SignedIn,
    filters: Filters,
    *,
    import_id: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = await _listing(db, me, filters)
    context.update(
        channels=list(ChannelType),
        job=await _import(db, me, import_id) if import_id else None,
        finished=FINISHED,
        error=error,
        here=f"{PAGE}?{filters.query()}",
    )
    return await page(request, "contacts.html", me, context, status_code=status_code)


@router.get("", include_in_schema=False)
async def contacts_page(
    request: Request,
    me: Me,
    db: Db,
    q: str | None = None,
    channel: str | None = None,
    page: str | None = None,
    shown: Annotated[str | None, Query(alias="import", max_length=12)] = None,
) -> Response:
    """`import`: an import to show, live, above the list (where an upload lands)."""
    job = int(shown) if shown and _DIGITS.fullmatch(shown) and int(shown) <= MAX_ID else None
    return await _page(request, db, me, Filters.read(q, channel, page), import_id=job)


@router.get("/rows", include_in_schema=False)
async def contact_rows(
    request: Request,
    me: Me,
    db: Db,
    q: str | None = None,
    channel: str | None = None,
    page: str | None = None,
) -> Response:
    filters = Filters.read(q, channel, page)
    context = await _listing(db, me, filters)
    context["here"] = f"{PAGE}?{filters.query()}"
    return render(request, "_contact_rows.html", me, context)


@router.get("/export", include_in_schema=False)
async def export(
    me: Me, db: Db, q: str | None = None, channel: str | None = None
) -> StreamingResponse:
    """The list's contacts (its search and channel, every page) as CSV."""
    filters = Filters.read(q, channel, None)
    return StreamingResponse(
        exports.export_csv(db, me.workspace_id, filters.channel, filters.q or None),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contacts.csv"'},
    )


@router.post("/imports", include_in_schema=False)
async def upload(request: Request, me: MeChecked, db: Db, settings: AppSettings) -> Response:
    try:
        data, filename = await multipart_file(request)
        fmt = "json" if filename.lower().endswith(".json") else "csv"
        job = await imports.accept(
            db, me.workspace_id, data, fmt, filename or None, settings=settings
        )
    except SkylightError as exc:
        return await _page(
            request, db, me, Filters(), error=problem(exc), status_code=exc.status_code
        )
    return RedirectResponse(f"{PAGE}?import={job.id}", status_code=303)


@router.get("/imports/{import_id:int}", include_in_schema=False)
async def import_panel(request: Request, me: Me, db: Db, import_id: int) -> Response:
    job = await _import(db, me, import_id)
    if job is None:
        raise PageNotFound("There is no such import.")
    return render(request, "_import_panel.html", me, {"job": job, "finished": FINISHED})


async def _contact_page(
    request: Request,
    db: Db,
    me: SignedIn,
    contact_id: int,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        async with db.read() as session:
            contact = await service.get_contact(session, me.workspace_id, _contact_id(contact_id))
    except NotFound:
        raise PageNotFound("There is no such contact.") from None
    context = {"contact": contact, "error": error, "form": form or {}}
    return await page(request, "contact.html", me, context, status_code=status_code)


@router.get("/{contact_id:int}", include_in_schema=False)
async def contact_page(request: Request, me: Me, db: Db, contact_id: int) -> Response:
    return await _contact_page(request, db, me, contact_id)


@router.post("/{contact_id:int}", include_in_schema=False)
async def edit(
    request: Request,
    me: MeChecked,
    db: Db,
    contact_id: int,
    name: Short = "",
    phone: Short = "",
    username: Short = "",
) -> Response:
    form = {"name": name, "phone": phone, "username": username}
    fields = {"name": name, "phone": phone.strip() or None, "username": username.strip() or None}
    try:
        body = parse(ContactUpdate, fields)
        async with db.transaction() as session:
            await service.update_contact(session, me.workspace_id, _contact_id(contact_id), body)
    except NotFound:
        raise PageNotFound("There is no such contact.") from None
    except SkylightError as exc:
        return await _contact_page(
            request, db, me, contact_id, error=problem(exc), form=form, status_code=422
        )
    return RedirectResponse(f"{PAGE}/{contact_id}?saved=1", status_code=303)


async def _change(
    db: Db, me: SignedIn, contact_id: int, back: str, update: ContactUpdate | None
) -> Response:
    try:
        async with db.transaction() as session:
            if update is None:
                await service.delete_contact(session, me.workspace_id, _contact_id(contact_id))
            else:
                await service.update_contact(
                    session, me.workspace_id, _contact_id(contact_id), update
                )
    except NotFound:
        raise PageNotFound("There is no such contact.") from None
    return RedirectResponse(_back(back), status_code=303)


@router.post("/{contact_id:int}/opt-out", include_in_schema=False)
async def opt_out(me: MeChecked, db: Db, contact_id: int, back: Short = PAGE) -> Response:
    return await _change(db, me, contact_id, back, ContactUpdate(opted_out=True))


@router.post("/{contact_id:int}/opt-in", include_in_schema=False)
async def opt_in(me: MeChecked, db: Db, contact_id: int, back: Short = PAGE) -> Response:
    return await _change(db, me, contact_id, back, ContactUpdate(opted_out=False))


@router.post("/{contact_id:int}/delete", include_in_schema=False)
async def delete(me: MeChecked, db: Db, contact_id: int, back: Short = PAGE) -> Response:
    own = f"{PAGE}/{contact_id}"
    if back == own or back.startswith((own + "?", own + "/")):
        back = PAGE  # its own page is gone
    return await _change(db, me, contact_id, back, None)
