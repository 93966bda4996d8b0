"""The send routes' multipart body is encoded by us, once, byte for byte as httpx would."""

from __future__ import annotations

from typing import Any

import httpx

from skylight.integrations.unipile.attachments import Upload, multipart

FIELDS = [("account_id", "acc"), ("attendees_ids", "1"), ("attendees_ids", "2"), ("text", 'é\n"x"')]
UPLOADS = [
    Upload('we"ird\\na\\me\r\n.png', b"\x89PNG\r\n\x00data", "image/png"),
    Upload("report.pdf", b"%PDF-1.7", "application/pdf"),
]


def _httpx_body(boundary: str) -> bytes:
    files: list[tuple[str, Any]] = [(name, (None, value)) for name, value in FIELDS]
    files += [("attachments", (u.filename, u.data, u.content_type)) for u in UPLOADS]
    request = httpx.Request(
        "POST",
        "http://unipile.test/api/v1/chats",
        files=files,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return request.read()


def test_the_body_is_what_httpx_would_send() -> None:
    encoded = multipart(FIELDS, UPLOADS, boundary="b0undary")
    assert encoded.content_type == "multipart/form-data; boundary=b0undary"
    assert encoded.body == _httpx_body("b0undary")


def test_each_body_has_its_own_boundary() -> None:
    first, second = multipart(FIELDS, []), multipart(FIELDS, [])
    assert first.content_type != second.content_type
