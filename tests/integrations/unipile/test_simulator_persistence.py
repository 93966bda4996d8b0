"""The simulator's state lives in its SQLite file: restarts keep it, passwords never enter."""

from __future__ import annotations

from skylight.integrations.unipile import whatsapp_provider_id
from tests.integrations.unipile.conftest import StartSim, connected_whatsapp

PASSWORD = "Sup3r-Secret-Instagram-pw"


async def test_state_survives_restart(start_sim: StartSim) -> None:
    async with start_sim() as sim:
        wa = await connected_whatsapp(sim)
        pending = await sim.client.connect_account("TELEGRAM")
        started = await sim.client.start_chat(wa, [whatsapp_provider_id("+966551234567")], "hi")
        inbound = await sim.control.inbound(wa, "+966551234567", "reply")
        webhook = await sim.client.create_webhook("http://127.0.0.1:9/h", "messaging")
    async with start_sim() as sim:
        assert (await sim.client.get_account(wa)).status == "OK"
        assert (await sim.client.get_account(pending.account_id)).status == "CONNECTING"
        # The QR login started before the restart can still be completed.
        assert (await sim.control.scan(pending.account_id)).status == "OK"
        assert started.chat_id is not None
        messages = await sim.client.list_chat_messages(started.chat_id)
        assert [m.id for m in messages.items] == [inbound.message_id, started.message_id]
        assert [h.id for h in (await sim.client.list_webhooks()).items] == [webhook.webhook_id]
        assert [s.message_id for s in await sim.control.sent()] == [started.message_id]


async def test_instagram_password_is_never_stored(start_sim: StartSim) -> None:
    async with start_sim() as sim:
        await sim.client.connect_account("INSTAGRAM", username="shop", password=PASSWORD)
        first = await sim.client.connect_account("INSTAGRAM", username="2fa_x", password=PASSWORD)
        await sim.client.reconnect_account(
            first.account_id, "INSTAGRAM", username="2fa_x", password=PASSWORD
        )
        db_path = sim.config.db_path
    files = sorted(db_path.parent.glob(db_path.name + "*"))  # the db and any WAL/SHM file
    assert files
    for file in files:
        assert PASSWORD.encode() not in file.read_bytes()
