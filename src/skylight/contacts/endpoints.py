from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from skylight.apikeys.dependencies import CurrentCaller
from skylight.channels.types import ChannelType
from skylight.contacts import exports, imports, service
from skylight.contacts.import_schemas import ContactImportOut
from skylight.contacts.schemas import ContactCreate, ContactOut, ContactUpdate
from skylight.kit.bodies import multipart_file
from skylight.kit.dependencies import AppSettings, Db, DbSession
from skylight.kit.envelope import DataMessageResponse, DataResponse, PageMeta, PageResponse
from skylight.kit.errors import MethodNotAllowed, UnsupportedMediaType
from skylight.kit.openapi import CONFLICT, error
from skylight.kit.pagination import Pagination
from skylight.kit.params import CleanStr, IdPath

router = APIRouter(prefix="/contacts", tags=["contacts"])
SearchQuery = Annotated[
    CleanStr | None, Query(max_length=100, description="Search in name, phone, username.")
]


@router.get("", response_model=PageResponse[ContactOut])
async def list_contacts(
    caller: CurrentCaller,
    session: DbSession,
    page: Pagination,
    channel: ChannelType | None = None,
    q: SearchQuery = None,
) -> PageResponse[ContactOut]:
    rows, total = await service.list_contacts(
        session, caller.workspace_id, page, channel=channel, q=q
    )
    return PageResponse(
        data=[ContactOut.model_validate(c) for c in rows],
        meta=PageMeta.build(page=page.page, per_page=page.per_page, total=total),
    )


IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "A CSV file (columns name, channel, phone, username; header names in any case; "
            "UTF-8, with or without BOM) as the multipart field `file` or as a text/csv body, "
            "or a JSON array of contacts."
        ),
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": 100_000,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            field: {"type": ["string", "null"]}
                            for field in ("name", "channel", "phone", "username")
                        },
                    },
                }
            },
        },
    }
}
CSV_TYPES = {"text/csv", "application/csv", "text/plain"}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    413: error("The upload is larger than the import's limit"),
    415: error("Send multipart/form-data, text/csv or application/json"),
}


async def _upload(request: Request) -> tuple[bytes, str, str | None]:
    """(bytes, csv or json, file name) from a multipart file, a CSV body or a JSON body."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        data, filename = await multipart_file(request)
        return data, "json" if filename.lower().endswith(".json") else "csv", filename or None
    if media == "application/json":
        return await request.body(), "json", None
    if media in CSV_TYPES:
        return await request.body(), "csv", None
    raise UnsupportedMediaType(
        "Send the CSV as multipart/form-data (field `file`) or text/csv, or a JSON array.",
        errors={"content-type": ["multipart/form-data, text/csv or application/json"]},
    )


@router.post(
    "/imports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DataMessageResponse[ContactImportOut],
    responses=UPLOAD_ERRORS,
    openapi_extra=IMPORT_BODY,
)
async def create_import(
    caller: CurrentCaller, db: Db, settings: AppSettings, request: Request, response: Response
) -> DataMessageResponse[ContactImportOut]:
    data, fmt, filename = await _upload(request)
    job = await imports.accept(db, caller.workspace_id, data, fmt, filename, settings=settings)
    response.headers["Location"] = f"/api/v1/contacts/imports/{job.id}"
    return DataMessageResponse(
        data=ContactImportOut.build(job),
        message=f"Import queued: follow it at GET /api/v1/contacts/imports/{job.id}.",
    )


@router.get("/imports", response_model=PageResponse[ContactImportOut])
async def list_imports(
    caller: CurrentCaller, session: DbSession, page: Pagination
) -> PageResponse[ContactImportOut]:
    rows, total = await imports.list_imports(session, caller.workspace_id, page)
    return PageResponse(
        data=[ContactImportOut.build(row) for row in rows],
        meta=PageMeta.build(page=page.page, per_page=page.per_page, total=total),
    )


@router.get("/imports/{import_id}", response_model=DataResponse[ContactImportOut])
async def get_import(
    caller: CurrentCaller, session: DbSession, import_id: IdPath
) -> DataResponse[ContactImportOut]:
    return DataResponse(
        data=ContactImportOut.build(
            await imports.get_import(session, caller.workspace_id, import_id)
        )
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}
    },
)
async def export_contacts(
    caller: CurrentCaller,
    db: Db,
    channel: ChannelType | None = None,
    q: SearchQuery = None,
) -> StreamingResponse:
    """Every matching contact as CSV (id, name, channel, phone, username, opted_out_at,
    created_at), streamed: the same filters as the list, without pages."""
    return StreamingResponse(
        exports.export_csv(db, caller.workspace_id, channel, q),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contacts.csv"'},
    )


def _only(*allowed: str) -> Callable[[], Awaitable[None]]:
    async def refuse() -> None:
        raise MethodNotAllowed("Method not allowed.", headers={"Allow": ", ".join(allowed)})

    return refuse


# /contacts/export and /contacts/imports would otherwise reach /contacts/{contact_id} with
# PATCH or DELETE and answer 422 about the id; they are 405s.
for _path, _allowed in (("/export", ("GET",)), ("/imports", ("GET", "POST"))):
    router.add_api_route(
        _path,
        _only(*_allowed),
        methods=sorted({"POST", "PUT", "PATCH", "DELETE"} - set(_allowed)),
        include_in_schema=False,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DataMessageResponse[ContactOut],
    responses=CONFLICT,
)
async def create_contact(
    caller: CurrentCaller, session: DbSession, body: ContactCreate
) -> DataMessageResponse[ContactOut]:
    contact = await service.create_contact(session, caller.workspace_id, body)
    return DataMessageResponse(data=ContactOut.model_validate(contact), message="Contact created.")


@router.get("/{contact_id}", response_model=DataResponse[ContactOut])
async def get_contact(
    caller: CurrentCaller, session: DbSession, contact_id: IdPath
) -> DataResponse[ContactOut]:
    contact = await service.get_contact(session, caller.workspace_id, contact_id)
    return DataResponse(data=ContactOut.model_validate(contact))


@router.patch("/{contact_id}", response_model=DataMessageResponse[ContactOut], responses=CONFLICT)
async def update_contact(
    caller: CurrentCaller, session: DbSession, contact_id: IdPath, body: ContactUpdate
) -> DataMessageResponse[ContactOut]:
    contact = await service.update_contact(session, caller.workspace_id, contact_id, body)
    return DataMessageResponse(data=ContactOut.model_validate(contact), message="Contact updated.")


@router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_contact(caller: CurrentCaller, session: DbSession, contact_id: IdPath) -> Response:
    await service.delete_contact(session, caller.workspace_id, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
