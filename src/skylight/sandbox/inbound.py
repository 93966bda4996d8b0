"""The inbound helper's body: JSON, or multipart with the same fields and an optional `file`."""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from skylight.integrations.unipile.attachments import Upload
from skylight.kit.errors import BadRequest, UnsupportedMediaType
from skylight.sandbox.schemas import InboundIn

FIELDS = ("channel", "from", "name", "text")


def _validated(data: object) -> InboundIn:
    try:
        return InboundIn.model_validate(data)
    except ValidationError as exc:
        # Rendered like any body error (422, a message per field).
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from None


async def read_inbound(request: Request) -> tuple[InboundIn, Upload | None]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json":
        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest("Malformed JSON body.", errors={"body": ["Not valid JSON."]}) from None
        return _validated(data), None
    if media != "multipart/form-data":
        raise UnsupportedMediaType(
            "Send JSON, or multipart/form-data with an optional `file`.",
            errors={"content-type": ["application/json or multipart/form-data"]},
        )
    try:
        form = await request.form(max_files=1, max_fields=len(FIELDS) + 1)
    except MultiPartException as exc:
        raise BadRequest(f"Malformed multipart body: {exc.message}") from None
    try:
        fields = {k: v for k in FIELDS if isinstance(v := form.get(k), str)}
        body = _validated(fields)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return body, None
        data = await upload.read()
        name = upload.filename or "file"
        content_type = upload.content_type or "application/octet-stream"
        return body, Upload(name, data, content_type)
    finally:
        await form.close()
