"""Live mode, as a user pointing SkyLight at Unipile gets it: first messages on Telegram and
Instagram reach Unipile addressed to the person's numeric internal id, a message the account
wrote itself (is_sender, no account_info) is stored once as outbound, and our webhooks are
registered one per event."""

from __future__ import annotations

from typing import Any

import httpx

from skylight.inbound.secret import HEADER, webhook_secret
from tests.integrations.unipile.harness import WebhookReceiver, serve
from tests.live.conftest import LiveServer, StartLive
from tests.sandbox_flows import eventually

API = "/api/v1"


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


async def _connect_telegram(live: LiveServer) -> str:
    account_id: str = (await _ok(await live.http.post(f"{API}/channels/telegram/connect")))[
        "account_id"
    ]
    await live.sim.scan(account_id, "skylight_live")

    async def status() -> Any:
        params = {"account_id": account_id}
        return await _ok(await live.http.get(f"{API}/channels/telegram/status", params=params))

    done = await eventually(status, lambda s: s["completed"] and s["sync_status"] != "CONNECTING")
    assert done["completed"], done
    return account_id


async def _contact(live: LiveServer, **fields: Any) -> int:
    contact_id: int = (await _ok(await live.http.post(f"{API}/contacts", json=fields), 201))["id"]
    return contact_id


async def _send(live: LiveServer, contact_id: int, text: str) -> Any:
    body = {"contact_id": contact_id, "message": text}
    return await _ok(await live.http.post(f"{API}/messages/send", json=body), 201)


async def test_first_messages_go_to_internal_ids_and_own_messages_are_outbound_once(
    start_live: StartLive,
) -> None:
    spy = WebhookReceiver()
    # The spy outlives the simulator: no delivery connection is left open when it stops.
    async with serve(spy) as spy_url, start_live() as live:
        ready = await _ok(await live.http.get("/readyz"))
        assert ready["unipile_webhooks"] == "ok"
        tg_account = await _connect_telegram(live)
        ig = await live.http.post(
            f"{API}/channels/instagram/connect", json={"username": "shop_live", "password": "pw"}
        )
        assert ig.status_code == 200, ig.text
        nora = await _contact(live, name="Nora", channel="telegram", username="nora_live")
        sara = await _contact(live, name="Sara", channel="instagram", username="sara.live")
        await _send(live, nora, "Hello Nora")
        await _send(live, sara, "Hello Sara")

        # Unipile got numeric internal ids, never the usernames.
        sent = {item.text: item for item in await live.sim.sent()}
        nora_id = (await live.unipile.get_user(tg_account, "nora_live")).provider_id
        sara_profile = await live.unipile.get_user(sent["Hello Sara"].account_id, "sara.live")
        assert sent["Hello Nora"].attendee_provider_id == nora_id
        assert sent["Hello Sara"].attendee_provider_id == sara_profile.provider_messaging_id
        assert all(item.attendee_provider_id.isdigit() for item in sent.values())

        # Written on the phone: message_received with is_sender true and no account_info.
        await live.unipile.create_webhook(spy_url, "messaging", name="spy")
        mine = await live.sim.inbound(tg_account, "nora_live", "sent from my phone", from_me=True)
        [delivery] = await spy.wait_for(lambda received: len(received) == 1)
        payload = delivery.json()
        assert payload["message_id"] == mine.message_id
        assert payload["is_sender"] is True
        assert "account_info" not in payload
        history_url = f"{API}/contacts/{nora}/messages"

        async def history() -> list[Any]:
            data: list[Any] = await _ok(await live.http.get(history_url))
            return data

        expected = [("outbound", "sent from my phone"), ("outbound", "Hello Nora")]
        stored = await eventually(history, lambda h: len(h) == 2)
        assert [(m["direction"], m["content"]) for m in stored] == expected
        # Unipile retries and duplicates deliveries: the same payload again changes nothing.
        secret = {HEADER: webhook_secret(live.app.state.settings)}
        again = await live.http.post("/webhooks/unipile", content=delivery.body, headers=secret)
        assert again.json()["message"] == "Already applied."
        assert [(m["direction"], m["content"]) for m in await history()] == expected
