"""Every failure is in our envelope with a request id, never a framework body or a 500."""

from __future__ import annotations

import httpx

from tests.factories import TenantFixture


async def test_unknown_route_is_404_in_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}
    assert response.headers["X-Request-Id"].startswith("req_")


async def test_wrong_method_is_405_in_envelope(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await client.put("/api/v1/contacts", headers=tenant.headers)
    assert response.status_code == 405
    assert response.json() == {"success": False, "message": "Method not allowed."}
    assert "GET" in response.headers["Allow"]


async def test_malformed_json_is_400(client: httpx.AsyncClient, tenant: TenantFixture) -> None:
    response = await client.post(
        "/api/v1/contacts",
        content=b'{"name": "Sarah", ',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "Malformed JSON body."
    assert "body" in body["errors"]


async def test_validation_errors_are_422_per_field(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await client.post(
        "/api/v1/contacts", json={"name": 12, "channel": "fax"}, headers=tenant.headers
    )
    assert response.status_code == 422
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "The given data was invalid."
    assert set(body["errors"]) == {"name", "channel"}
    assert all(isinstance(m, str) for msgs in body["errors"].values() for m in msgs)


async def test_body_that_is_not_an_object_is_422(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    response = await client.post("/api/v1/contacts", json=[1, 2], headers=tenant.headers)
    assert response.status_code == 422
    assert response.json()["success"] is False


async def test_incoming_request_id_is_echoed_and_bad_one_replaced(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    kept = await client.get(
        "/api/v1/contacts", headers={**tenant.headers, "X-Request-Id": "trace-12345678"}
    )
    assert kept.headers["X-Request-Id"] == "trace-12345678"
    replaced = await client.get(
        "/api/v1/contacts", headers={**tenant.headers, "X-Request-Id": "bad id with spaces"}
    )
    assert replaced.headers["X-Request-Id"].startswith("req_")


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/contacts" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200
