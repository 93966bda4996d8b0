"""Opening a conversation changes nothing by itself (a link from another site cannot mark
anything read); the page marks it read with a POST that carries the CSRF token."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.dashboard.helpers import Login, browserless, signed_in
from tests.sandbox_flows import connect_qr_channel, eventually


async def _unread(client: httpx.AsyncClient, login: Login) -> list[int]:
    response = await client.get("/api/v1/conversations", headers=login.tenant.headers)
    return [row["unread_count"] for row in response.json()["data"]]


async def test_gets_change_nothing_and_marking_read_is_a_post(
    app: FastAPI, client: httpx.AsyncClient, login: Login
) -> None:
    await connect_qr_channel(client, login.tenant, "whatsapp", "+966500000710")
    inbound = await client.post(
        "/api/v1/sandbox/inbound",
        json={"channel": "whatsapp", "from": "+966500000071", "text": "unread, please"},
        headers=login.tenant.headers,
    )
    assert inbound.status_code == 201
    assert await eventually(lambda: _unread(client, login), lambda n: n == [1]) == [1]
    contact_id = (await client.get("/api/v1/conversations", headers=login.tenant.headers)).json()[
        "data"
    ][0]["contact_id"]

    async with browserless(app) as http:
        token = await signed_in(http, login)
        for path in (
            f"/dashboard/inbox/{contact_id}",
            f"/dashboard/inbox/{contact_id}/thread",
            f"/dashboard/inbox/list?current={contact_id}",
        ):
            page = await http.get(path, headers={"HX-Request": "true"})
            assert page.status_code == 200, path
        assert await _unread(client, login) == [1]  # read on screen, still unread in the API

        read = f"/dashboard/inbox/{contact_id}/read"
        assert (await http.post(read)).status_code == 403  # no CSRF token: nothing changes
        assert await _unread(client, login) == [1]
        marked = await http.post(read, headers={"X-CSRF-Token": token})
        assert marked.status_code == 204
    assert await _unread(client, login) == [0]
