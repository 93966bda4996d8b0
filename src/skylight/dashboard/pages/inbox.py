"""The inbox: conversations with unread badges, a thread with its send box, a new conversation,
and in sandbox mode a simulated inbound message. The page's event stream refreshes the lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from skylight.channels.types import ChannelType
from skylight.contacts.schemas import ContactCreate
from skylight.dashboard import conversations
from skylight.dashboard.forms import PageNotFound, parse, problem
from skylight.dashboard.security import PREFIX, Me, MeChecked
from skylight.dashboard.templating import page, render
from skylight.files.dependencies import StorageDep
from skylight.integrations.unipile.dependencies import UnipileDep
from skylight.integrations.unipile.errors import UnipileError
from skylight.kit.dependencies import Db
from skylight.kit.errors import NotFound, SkylightError
from skylight.kit.params import MAX_ID
from skylight.sandbox import service as sandbox
from skylight.sandbox.schemas import InboundIn
from skylight.users.service import SignedIn

router = APIRouter(prefix="/inbox")
PAGE = f"{PREFIX}/inbox"
Text = Annotated[str, Form(max_length=5000)]
Short = Annotated[str, Form(max_length=255)]


def _contact_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise PageNotFound("There is no such conversation.")
    return value


async def _inbox(
    request: Request,
    db: Db,
    me: SignedIn,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    rows, total = await conversations.inbox(db, me)
    context = {
        "conversations": rows,
        "total": total,
        "current": None,
        "error": error,
        "form": form or {},
        "channels": list(ChannelType),
    }
    return await page(request, "inbox.html", me, context, status_code=status_code)


async def _conversation(
    request: Request,
    db: Db,
    me: SignedIn,
    contact_id: int,
    *,
    error: str | None = None,
    draft: str = "",
    status_code: int = 200,
) -> Response:
    try:
        thread = await conversations.thread(db, me, _contact_id(contact_id))
    except NotFound:
        raise PageNotFound("There is no such conversation.") from None
    rows, total = await conversations.inbox(db, me)
    context = {
        "conversations": rows,
        "total": total,
        "current": contact_id,
        "thread": thread,
        "error": error,
        "draft": draft,
    }
    return await page(request, "conversation.html", me, context, status_code=status_code)


@router.get("", include_in_schema=False)
async def inbox_page(request: Request, me: Me, db: Db) -> Response:
    return await _inbox(request, db, me)


@router.get("/list", include_in_schema=False)
async def conversation_list(
    request: Request, me: Me, db: Db, current: int | None = None
) -> Response:
    """The list, refreshed by the live stream. The conversation open beside it (`current`)
    shows no badge: what is on screen is being read (its thread marks it so, by POST)."""
    rows, total = await conversations.inbox(db, me)
    context = {"conversations": rows, "total": total, "current": current}
    return render(request, "_conversation_list.html", me, context)


@router.get("/{contact_id:int}", include_in_schema=False)
async def conversation_page(request: Request, me: Me, db: Db, contact_id: int) -> Response:
    return await _conversation(request, db, me, contact_id)


@router.get("/{contact_id:int}/thread", include_in_schema=False)
async def thread(request: Request, me: Me, db: Db, contact_id: int) -> Response:
    try:
        found = await conversations.thread(db, me, _contact_id(contact_id))
    except NotFound:
        raise PageNotFound("There is no such conversation.") from None
    return render(request, "_thread.html", me, {"thread": found})


@router.post("/{contact_id:int}/read", include_in_schema=False)
async def mark_read(me: MeChecked, db: Db, contact_id: int) -> Response:
    """Sent by the open thread each time it shows (htmx, with the CSRF token): a GET never
    changes anything, so a link from another site cannot mark conversations read."""
    await conversations.mark_read(db, me, _contact_id(contact_id))
    return Response(status_code=204)


@router.post("/{contact_id:int}/send", include_in_schema=False)
async def send(
    request: Request,
    me: MeChecked,
    db: Db,
    unipile: UnipileDep,
    storage: StorageDep,
    contact_id: int,
    message: Text = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    attached = None
    if file is not None and file.filename:  # an empty file input still sends a part
        attached = (await file.read(), file.filename)
    try:
        await conversations.send(
            db, unipile, me, _contact_id(contact_id), message, storage=storage, file=attached
        )
    except NotFound:
        raise PageNotFound("There is no such conversation.") from None
    except SkylightError as exc:
        return await _conversation(
            request, db, me, contact_id, error=problem(exc), draft=message, status_code=422
        )
    # Sent or failed, the message is in the thread now; a failed one shows its error there.
    return RedirectResponse(f"{PAGE}/{contact_id}", status_code=303)


@router.post("/new", include_in_schema=False)
async def new_conversation(
    request: Request,
    me: MeChecked,
    db: Db,
    unipile: UnipileDep,
    channel: Short = "whatsapp",
    to: Short = "",
    name: Short = "",
    message: Text = "",
) -> Response:
    form = {"channel": channel, "to": to, "name": name, "message": message}
    handle = to.strip()
    by_phone = channel == "whatsapp" or (channel == "telegram" and handle.startswith("+"))
    fields = {
        "name": name.strip() or handle,
        "channel": channel,
        "phone" if by_phone else "username": handle or None,
    }
    try:
        contact_id = await conversations.find_or_create_contact(
            db, me, parse(ContactCreate, fields)
        )
        await conversations.send(db, unipile, me, contact_id, message)
    except SkylightError as exc:
        return await _inbox(
            request, db, me, error=problem(exc), form={"new": form}, status_code=exc.status_code
        )
    return RedirectResponse(f"{PAGE}/{contact_id}", status_code=303)


@router.post("/simulate", include_in_schema=False)
async def simulate_inbound(
    request: Request,
    me: MeChecked,
    db: Db,
    channel: Short = "whatsapp",
    sender: Annotated[str, Form(alias="from", max_length=64)] = "",
    name: Short = "",
    text: Text = "",
) -> Response:
    control = getattr(request.app.state, "simulator", None)
    if control is None:
        raise PageNotFound("Simulated messages exist only in sandbox mode.")
    form = {"channel": channel, "from": sender, "name": name, "text": text}
    fields = {"channel": channel, "from": sender, "name": name or None, "text": text}
    try:
        body = parse(InboundIn, fields)
        await sandbox.inbound(db, me.workspace_id, body, control=control)
    except (SkylightError, UnipileError) as exc:
        code = exc.status_code if isinstance(exc, SkylightError) else 502
        return await _inbox(
            request, db, me, error=problem(exc), form={"simulate": form}, status_code=code
        )
    return RedirectResponse(PAGE, status_code=303)
