"""The one file of a multipart upload. (Its size is bounded before this reads it: the body
limit middleware, with the route's own limit, see app.py.)"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from skylight.kit.errors import BadRequest, Unprocessable


async def multipart_file(request: Request, field: str = "file") -> tuple[bytes, str]:
    """The bytes and the file name of the form's `field` file (spooled to disk while parsed)."""
    try:
        form = await request.form(max_files=1, max_fields=10)
    except MultiPartException as exc:
        raise BadRequest(f"Malformed multipart body: {exc.message}") from None
    try:
        upload = form.get(field)
        if not isinstance(upload, UploadFile):
            raise Unprocessable(
                f"Attach the file as the form field '{field}'.",
                errors={field: ["A file is required."]},
            )
        return await upload.read(), upload.filename or ""
    finally:
        await form.close()  # its spooled temporary files
