"""Set-up through the public API, as a client would: connect a sandbox WhatsApp channel, make
contacts, wait for a condition with a bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


def api_client(base_url: str, key: str, timeout: float = 30.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout
    )


async def eventually(
    probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], *, within: float = 30.0
) -> T:
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if ok(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


def _data(response: httpx.Response, expected: int = 200) -> Any:
    if response.status_code != expected:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text[:500]}"
        )
    return response.json()["data"]


async def connect_whatsapp(client: httpx.AsyncClient, phone: str = "+966599999999") -> str:
    """Connect through the API and the sandbox scan; returns the Unipile account id."""
    account_id: str = _data(await client.post("/api/v1/channels/whatsapp/connect"))["account_id"]
    await client.post(f"/api/v1/sandbox/accounts/{account_id}/scan", json={"username": phone})

    async def status() -> dict[str, Any]:
        response = await client.get(
            "/api/v1/channels/whatsapp/status", params={"account_id": account_id}
        )
        result: dict[str, Any] = _data(response)
        return result

    final = await eventually(
        status, lambda s: s["completed"] and s["sync_status"] in ("OK", "SYNC_SUCCESS")
    )
    if not (final["completed"] and final["sync_status"] in ("OK", "SYNC_SUCCESS")):
        raise RuntimeError(f"WhatsApp did not connect: {final}")
    return account_id


def phone(i: int) -> str:
    return f"+9665{i:08d}"


async def make_contacts(client: httpx.AsyncClient, count: int, *, first: int = 1) -> list[int]:
    ids: list[int] = []
    for i in range(first, first + count):
        body = {"name": f"Contact {i}", "channel": "whatsapp", "phone": phone(i)}
        ids.append(_data(await client.post("/api/v1/contacts", json=body), 201)["id"])
    return ids


async def send(client: httpx.AsyncClient, contact_id: int, text: str) -> httpx.Response:
    return await client.post(
        "/api/v1/messages/send", json={"contact_id": contact_id, "message": text}
    )


async def all_pages(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = (await client.get(path, params={**params, "page": page, "per_page": 100})).json()
        items += body["data"]
        if page >= body["meta"]["last_page"]:
            return items
        page += 1
