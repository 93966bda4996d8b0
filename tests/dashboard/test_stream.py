"""The dashboard's event stream: the session cookie opens it, and signing out ends it."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.dashboard.helpers import Login, csrf_token, signed_in
from tests.sandbox_flows import make_contact


async def test_the_stream_carries_events_and_ends_after_sign_out(
    app: FastAPI,
    base_url: str,
    client: httpx.AsyncClient,
    login: Login,
    quick_stream_checks: float,
) -> None:
    contact = await make_contact(
        client, login.tenant, name="Live Lead", channel="whatsapp", phone="+966501234570"
    )
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        token = await signed_in(http, login)
        after = csrf_token((await http.get("/dashboard/inbox")).text)
        assert after == token
        async with http.stream("GET", "/dashboard/events/stream") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            assert (await anext(lines)).startswith("retry:")
            await _fail_a_message(client, login, contact["id"], "first")
            first = ""
            async with asyncio.timeout(10):
                async for line in lines:
                    first = line.removeprefix("id: ") if line.startswith("id: ") else first
                    if line.startswith("event: "):
                        assert line == "event: message.failed"
                        break
            assert first.startswith("evt_")
            # Signed out (from another tab): the stream ends at its next check, events or not.
            out = await http.post("/dashboard/sign-out", data={"csrf_token": token})
            assert out.status_code == 303
            rest: list[str] = []
            async with asyncio.timeout(10):
                rest.extend([line async for line in lines])  # returns: the server closed it
            # Only the rest of the first event's frame: nothing after the sign-out.
            assert not [line for line in rest if line.startswith(("event:", "id:"))]


async def _fail_a_message(
    client: httpx.AsyncClient, login: Login, contact_id: int, text: str
) -> None:
    """No channel is connected: the message is stored as failed, with its event."""
    response = await client.post(
        "/api/v1/messages/send",
        json={"contact_id": contact_id, "message": text},
        headers=login.tenant.headers,
    )
    assert response.status_code == 422, response.text
