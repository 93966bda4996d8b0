from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status

from skylight.apikeys.dependencies import CurrentCaller
from skylight.files import service, serving
from skylight.files.dependencies import StorageDep
from skylight.files.limits import MAX_UPLOAD_BYTES, megabytes
from skylight.files.responses import file_response
from skylight.files.schemas import FileOut
from skylight.integrations.unipile.dependencies import UnipileDep
from skylight.kit.bodies import multipart_file
from skylight.kit.dependencies import AppSettings, Db, DbSession
from skylight.kit.envelope import DataMessageResponse, DataResponse
from skylight.kit.errors import UnsupportedMediaType
from skylight.kit.openapi import error

router = APIRouter(prefix="/files", tags=["files"])
FileIdPath = Annotated[str, Path(pattern=r"^file_[A-Za-z0-9]{1,40}$", max_length=45)]

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            f"One file as the multipart field `file`, at most {megabytes(MAX_UPLOAD_BYTES)}."
        ),
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DataMessageResponse[FileOut],
    responses={
        413: error("Larger than any channel takes"),
        415: error("Send multipart/form-data"),
        422: error("A type no channel takes, an empty file, or no `file` field"),
    },
    openapi_extra=UPLOAD_BODY,
)
async def upload_file(
    caller: CurrentCaller, db: Db, storage: StorageDep, request: Request
) -> DataMessageResponse[FileOut]:
    """Upload a file to send as an attachment (`attachments` of POST /messages/send). Its type is
    read from its bytes; each channel's limits apply when it is sent. Unused uploads are deleted
    after 24 hours."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMediaType(
            "Send the file as multipart/form-data, in the field `file`.",
            errors={"content-type": ["multipart/form-data"]},
        )
    data, filename = await multipart_file(request)
    file = await service.upload(db, storage, caller.workspace_id, data, filename)
    return DataMessageResponse(data=FileOut.model_validate(file), message="File uploaded.")


@router.get("/{file_id}", response_model=DataResponse[FileOut])
async def get_file(
    caller: CurrentCaller, session: DbSession, file_id: FileIdPath
) -> DataResponse[FileOut]:
    file = await service.get_file(session, caller.workspace_id, file_id)
    return DataResponse(data=FileOut.model_validate(file))


@router.get(
    "/{file_id}/content",
    response_class=Response,
    responses={
        # Served with the type sniffed from the bytes when it was stored (any type).
        200: {
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The file's bytes, with its content type",
        },
        410: error("Unavailable: Unipile no longer has it"),
        503: error("Not fetched from Unipile yet, and Unipile did not answer now"),
    },
)
async def get_file_content(
    caller: CurrentCaller,
    db: Db,
    storage: StorageDep,
    unipile: UnipileDep,
    settings: AppSettings,
    file_id: FileIdPath,
) -> Response:
    content = await serving.content(db, storage, unipile, settings, caller.workspace_id, file_id)
    return file_response(content)
