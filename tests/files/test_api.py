"""POST /api/v1/files, GET /api/v1/files/{id} and its /content, Stripe's way."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from skylight.files.limits import MB
from tests.factories import TenantFixture
from tests.files import samples

pytestmark = pytest.mark.both_databases


async def upload(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    data: bytes,
    name: str,
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    files = {"file": (name, data, content_type)}
    return await client.post("/api/v1/files", files=files, headers=tenant.headers)


async def test_upload_reads_the_type_from_the_bytes_and_serves_them_back(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    # The client says PDF; the bytes are a JPEG.
    response = await upload(client, tenant, samples.JPEG, "photo.pdf", "application/pdf")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["message"] == "File uploaded."
    data = body["data"]
    assert re.fullmatch(r"file_[A-Za-z0-9]{24}", data["id"])
    assert data["filename"] == "photo.pdf"
    assert data["content_type"] == "image/jpeg"
    assert data["size"] == len(samples.JPEG)
    assert data["status"] == "ready"
    assert data["created_at"].endswith("Z")

    fetched = await client.get(f"/api/v1/files/{data['id']}", headers=tenant.headers)
    assert fetched.status_code == 200
    assert fetched.json()["data"] == data

    content = await client.get(f"/api/v1/files/{data['id']}/content", headers=tenant.headers)
    assert content.status_code == 200
    assert hashlib.sha256(content.content).digest() == hashlib.sha256(samples.JPEG).digest()
    assert content.headers["content-type"] == "image/jpeg"
    assert content.headers["content-disposition"] == "inline; filename*=UTF-8''photo.pdf"
    assert content.headers["x-content-type-options"] == "nosniff"


async def test_documents_download_and_never_render(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await upload(client, tenant, samples.PDF, "../../booking confirmation.pdf")
    data = response.json()["data"]
    assert data["filename"] == "booking confirmation.pdf"  # no folders from the client
    content = await client.get(f"/api/v1/files/{data['id']}/content", headers=tenant.headers)
    assert content.content == samples.PDF
    assert content.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in content.headers["content-security-policy"]


async def test_files_are_scoped_to_their_workspace(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    file_id = (await upload(client, tenant, samples.PDF, "a.pdf")).json()["data"]["id"]
    for path in (f"/api/v1/files/{file_id}", f"/api/v1/files/{file_id}/content"):
        response = await client.get(path, headers=other_tenant.headers)
        assert response.status_code == 404
        assert response.json() == {"success": False, "message": f"File {file_id} not found."}
    missing = await client.get("/api/v1/files/file_nope/content", headers=tenant.headers)
    assert missing.status_code == 404
    bad = await client.get("/api/v1/files/not-a-file-id", headers=tenant.headers)
    assert bad.status_code == 422


async def test_uploads_no_channel_takes_are_refused_with_the_limit(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    exe = await upload(client, tenant, samples.EXE, "invoice.pdf", "application/pdf")
    assert exe.status_code == 422
    assert exe.json()["message"].startswith(
        "application/x-msdownload files cannot be sent on any channel. Accepted: "
    )
    empty = await upload(client, tenant, b"", "a.txt")
    assert empty.status_code == 422
    assert empty.json()["errors"] == {"file": ["The file is empty."]}

    # Above the default 1 MiB body limit: the route has its own, the largest file plus room.
    big_pdf = await upload(client, tenant, samples.padded(samples.PDF, 2 * MB), "big.pdf")
    assert big_pdf.status_code == 201
    too_big = await upload(client, tenant, samples.padded(samples.PDF, 15 * MB + 1), "huge.pdf")
    assert too_big.status_code == 413
    assert too_big.json()["message"] == (
        "The file is 15 MB; files may be at most 15 MB (the most any channel takes)."
    )


async def test_only_multipart_with_a_file_field(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    as_json = await client.post("/api/v1/files", json={"file": "x"}, headers=tenant.headers)
    assert as_json.status_code == 415
    wrong_field = await client.post(
        "/api/v1/files", files={"document": ("a.pdf", samples.PDF)}, headers=tenant.headers
    )
    assert wrong_field.status_code == 422
    assert wrong_field.json()["errors"] == {"file": ["A file is required."]}
    anonymous = await client.post("/api/v1/files", files={"file": ("a.pdf", samples.PDF)})
    assert anonymous.status_code == 401
