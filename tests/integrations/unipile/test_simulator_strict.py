"""The simulator says no where Unipile says no, in Unipile's 400 error body, and answers in the
shapes Unipile's SDK requires (the "Corrections" of the Unipile reference)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from skylight.integrations.unipile.errors import UnipileInvalidRecipient
from tests.integrations.unipile.conftest import API_KEY, Sim, connected_instagram


@pytest.fixture
async def api(sim: Sim) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"X-API-KEY": API_KEY, "accept": "application/json"}
    async with httpx.AsyncClient(base_url=f"{sim.url}/api/v1", headers=headers) as http:
        yield http


def refusal(response: httpx.Response, status: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == error_type
    assert isinstance(body["title"], str)
    assert body["instance"] == response.request.url.path
    return body


async def connected_telegram(sim: Sim, username: str = "skylight_tg") -> str:
    checkpoint = await sim.client.connect_account("TELEGRAM")
    await sim.control.scan(checkpoint.account_id, username=username)
    return checkpoint.account_id


async def test_message_delivered_is_not_a_webhook_event(api: httpx.AsyncClient) -> None:
    body = {"request_url": "http://127.0.0.1:9/h", "source": "messaging"}
    bad = await api.post("/webhooks", json={**body, "events": ["message_delivered"]})
    detail = refusal(bad, 400, "errors/invalid_parameters")["detail"]
    assert "message_delivered" in detail
    for event in ("message_received", "message_read", "message_reaction"):
        ok = await api.post("/webhooks", json={**body, "events": [event]})
        assert ok.status_code == 201, ok.text


async def test_webhook_fields_are_checked(api: httpx.AsyncClient) -> None:
    no_url = await api.post("/webhooks", json={"source": "messaging"})
    refusal(no_url, 400, "errors/missing_parameters")
    unknown_source = {"request_url": "http://127.0.0.1:9/h", "source": "sms"}
    refusal(await api.post("/webhooks", json=unknown_source), 400, "errors/invalid_parameters")


async def test_a_webhook_name_is_always_a_string(api: httpx.AsyncClient) -> None:
    body = {"request_url": "http://127.0.0.1:9/h", "source": "account_status"}
    assert (await api.post("/webhooks", json=body)).status_code == 201
    [hook] = (await api.get("/webhooks")).json()["items"]
    assert hook["name"] == ""


async def test_unknown_and_missing_providers(api: httpx.AsyncClient) -> None:
    invalid = "errors/invalid_parameters"
    refusal(await api.post("/accounts", json={"provider": "MYSPACE"}), 400, invalid)
    refusal(await api.post("/accounts", json={}), 400, "errors/missing_parameters")
    # Lower case is not Unipile's spelling either.
    refusal(await api.post("/accounts", json={"provider": "whatsapp"}), 400, invalid)
    # Known to Unipile, not simulated: 501, not a 400.
    not_simulated = await api.post("/accounts", json={"provider": "LINKEDIN"})
    refusal(not_simulated, 501, "errors/feature_not_implemented")


@pytest.mark.parametrize(
    ("provider", "im"),
    [("WHATSAPP", {"phone_number": ""}), ("TELEGRAM", {"user_id": "", "username": ""})],
)
async def test_a_pending_account_carries_its_connection_params(
    api: httpx.AsyncClient, provider: str, im: dict[str, str]
) -> None:
    checkpoint = (await api.post("/accounts", json={"provider": provider})).json()
    account = (await api.get(f"/accounts/{checkpoint['account_id']}")).json()
    assert account["connection_params"] == {"im": im}
    assert account["sources"][0]["status"] == "CONNECTING"


async def test_chats_need_internal_ids_not_usernames(sim: Sim, api: httpx.AsyncClient) -> None:
    tg = await connected_telegram(sim)
    ig = await connected_instagram(sim)
    for account_id in (tg, ig):
        start = {"account_id": account_id, "attendees_ids": "sara.k", "text": "hi"}
        bad = await api.post("/chats", files={k: (None, v) for k, v in start.items()})
        detail = refusal(bad, 400, "errors/invalid_parameters")["detail"]
        assert "/users/" in detail  # says how to get the id
    missing = await api.post("/chats", files={"account_id": (None, tg), "text": (None, "hi")})
    refusal(missing, 400, "errors/missing_parameters")


async def test_users_resolve_to_numeric_ids(sim: Sim, api: httpx.AsyncClient) -> None:
    tg = await connected_telegram(sim)
    ig = await connected_instagram(sim)
    sara = (await api.get("/users/sara.k", params={"account_id": ig})).json()
    assert sara["object"] == "UserProfile"
    assert sara["provider"] == "INSTAGRAM"
    assert sara["provider_id"].isdigit()
    assert sara["provider_messaging_id"].isdigit()
    assert sara["provider_messaging_id"] != sara["provider_id"]
    assert sara["pk"] == int(sara["provider_id"])  # the SDK 1.9.3 schema's field
    assert sara["username"] == "sara.k"
    again = (await api.get("/users/sara.k", params={"account_id": ig})).json()
    assert again["provider_messaging_id"] == sara["provider_messaging_id"]  # stable

    friend = (await api.get("/users/tg_friend", params={"account_id": tg})).json()
    assert friend["provider"] == "TELEGRAM"
    assert friend["provider_id"].isdigit()
    by_phone = (await api.get("/users/+966551234567", params={"account_id": tg})).json()
    assert by_phone["provider_id"].isdigit()
    assert by_phone["phone"] == "+966551234567"

    nobody = await api.get("/users/unknown_person", params={"account_id": ig})
    refusal(nobody, 404, "errors/resource_not_found")
    refusal(await api.get("/users/sara.k"), 400, "errors/missing_parameters")


async def test_instagram_chats_take_the_messaging_id(sim: Sim, api: httpx.AsyncClient) -> None:
    ig = await connected_instagram(sim)
    sara = await sim.client.get_user(ig, "sara.k")
    assert sara.provider_id is not None
    with pytest.raises(UnipileInvalidRecipient) as wrong:
        await sim.client.start_chat(ig, [sara.provider_id], "hi")  # the pk: not for chats
    assert wrong.value.type == "errors/invalid_recipient"
    assert sara.chat_attendee_id == sara.provider_messaging_id
    started = await sim.client.start_chat(ig, [sara.chat_attendee_id or ""], "hi")
    [sent] = await sim.control.sent([ig])
    assert sent.chat_id == started.chat_id
    assert sent.attendee_provider_id == sara.provider_messaging_id
