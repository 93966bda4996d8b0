"""UnipileClient account methods against the running simulator."""

from __future__ import annotations

import asyncio
import re

import pytest

from skylight.integrations.unipile.errors import (
    UnipileAuthenticationExpired,
    UnipileCheckpointError,
    UnipileNotFound,
    UnipileUnauthorized,
)
from skylight.integrations.unipile.schemas import (
    AccountCreated,
    AccountReconnected,
    Checkpoint,
)
from tests.integrations.unipile.conftest import (
    Sim,
    StartSim,
    connected_instagram,
    connected_whatsapp,
)

WA_QR = re.compile(r"^2@[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+$")
TG_QR = re.compile(r"^tg://login\?token=[A-Za-z0-9_-]+$")


async def test_whatsapp_qr_login_then_scan(sim: Sim) -> None:
    result = await sim.client.connect_account("WHATSAPP", country="SA")
    assert isinstance(result, Checkpoint)
    assert result.checkpoint.type == "QRCODE"
    assert result.checkpoint.qrcode is not None
    assert WA_QR.match(result.checkpoint.qrcode)
    waiting = await sim.client.get_account(result.account_id)
    assert waiting.status == "CONNECTING"

    await sim.control.scan(result.account_id, username="+966501234567")
    account = await sim.client.get_account(result.account_id)
    assert account.status == "OK"
    assert account.name == "+966501234567"
    assert account.connection_params.im == {"phone_number": "+966501234567"}
    assert account.model_extra is not None
    assert account.model_extra["country"] == "SA"


async def test_telegram_qr_login(sim: Sim) -> None:
    result = await sim.client.connect_account("TELEGRAM")
    assert isinstance(result, Checkpoint)
    assert result.checkpoint.qrcode is not None
    assert TG_QR.match(result.checkpoint.qrcode)
    scanned = await sim.control.scan(result.account_id, username="@skylight_bot_owner")
    assert scanned.status == "OK"
    im = scanned.connection_params.im or {}
    assert im["username"] == "skylight_bot_owner"
    assert im["user_id"].isdigit()


async def test_instagram_direct_login(sim: Sim) -> None:
    result = await sim.client.connect_account(
        "INSTAGRAM", username="skylight.shop", password="pw", country="SA"
    )
    assert isinstance(result, AccountCreated)
    account = await sim.client.get_account(result.account_id)
    assert account.status == "OK"
    assert account.name == "skylight.shop"
    assert (account.connection_params.im or {})["username"] == "skylight.shop"


async def test_instagram_wrong_password(sim: Sim) -> None:
    with pytest.raises(UnipileUnauthorized) as caught:
        await sim.client.connect_account("INSTAGRAM", username="shop", password="wrong-password")
    assert caught.value.status == 401
    assert caught.value.type == "errors/invalid_credentials"
    assert "wrong-password" not in str(caught.value)
    assert (await sim.client.list_accounts()).items == []


async def test_instagram_one_2fa_round(sim: Sim) -> None:
    first = await sim.client.connect_account("INSTAGRAM", username="2fa_shop", password="pw")
    assert isinstance(first, Checkpoint)
    assert first.checkpoint.type == "OTP"
    # Unipile answers a resend with its own object (not a Checkpoint): any 2xx object is fine.
    resent = await sim.client.resend_checkpoint(first.account_id, "INSTAGRAM")
    assert resent.object == "CheckpointResend"
    done = await sim.client.solve_checkpoint(first.account_id, "INSTAGRAM", "123456")
    assert isinstance(done, AccountCreated)
    assert done.account_id == first.account_id
    assert (await sim.client.get_account(done.account_id)).status == "CONNECTING"
    await asyncio.sleep(sim.config.connect_delay_seconds + 0.1)
    assert (await sim.client.get_account(done.account_id)).status == "OK"


async def test_instagram_two_rounds_and_wrong_code_keeps_round(sim: Sim) -> None:
    first = await sim.client.connect_account("INSTAGRAM", username="2fa2_shop", password="pw")
    assert isinstance(first, Checkpoint)
    with pytest.raises(UnipileCheckpointError) as caught:
        await sim.client.solve_checkpoint(first.account_id, "INSTAGRAM", "000000")
    assert caught.value.type == "errors/invalid_checkpoint_solution"
    second = await sim.client.solve_checkpoint(first.account_id, "INSTAGRAM", "123456")
    assert isinstance(second, Checkpoint)
    assert second.checkpoint.type == "OTP"
    with pytest.raises(UnipileCheckpointError):
        await sim.client.solve_checkpoint(first.account_id, "INSTAGRAM", "999999")
    done = await sim.client.solve_checkpoint(first.account_id, "INSTAGRAM", "123456")
    assert isinstance(done, AccountCreated)
    with pytest.raises(UnipileCheckpointError) as after:
        await sim.client.solve_checkpoint(first.account_id, "INSTAGRAM", "123456")
    assert after.value.type == "errors/checkpoint_error"


async def test_expired_intent(start_sim: StartSim) -> None:
    async with start_sim(checkpoint_ttl_seconds=0.1) as sim:
        first = await sim.client.connect_account("INSTAGRAM", username="2fa_late", password="pw")
        await asyncio.sleep(0.2)
        # Unipile: 500 errors/authentication_intent_error, start the authentication again.
        with pytest.raises(UnipileAuthenticationExpired) as caught:
            await sim.client.solve_checkpoint(first.account_id, "INSTAGRAM", "123456")
        assert caught.value.type == "errors/authentication_intent_error"
        assert caught.value.status == 500


async def test_list_paginates_and_iterates(sim: Sim) -> None:
    ids = {await connected_instagram(sim, f"user{i}") for i in range(5)}
    first = await sim.client.list_accounts(limit=2)
    assert len(first.items) == 2
    assert first.cursor is not None
    second = await sim.client.list_accounts(cursor=first.cursor)
    assert len(second.items) == 2
    walked = [account.id async for account in sim.client.iter_accounts(page_size=2)]
    assert len(walked) == 5
    assert set(walked) == ids


async def test_delete_account(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    deleted = await sim.client.delete_account(account_id)
    assert deleted.object == "AccountDeleted"
    with pytest.raises(UnipileNotFound) as caught:
        await sim.client.get_account(account_id)
    assert caught.value.type == "errors/resource_not_found"


async def test_reconnect_whatsapp_gives_a_new_qr(sim: Sim) -> None:
    account_id = await connected_whatsapp(sim)
    await sim.control.set_status(account_id, "CREDENTIALS")
    again = await sim.client.reconnect_account(account_id, "WHATSAPP")
    assert isinstance(again, Checkpoint)
    assert again.checkpoint.type == "QRCODE"
    await sim.control.scan(account_id)
    account = await sim.client.get_account(account_id)
    assert account.status == "OK"
    assert account.name == "+966501234567"


async def test_reconnect_instagram(sim: Sim) -> None:
    account_id = await connected_instagram(sim)
    await sim.control.set_status(account_id, "CREDENTIALS")
    result = await sim.client.reconnect_account(
        account_id, "INSTAGRAM", username="skylight.shop", password="new-pw"
    )
    assert isinstance(result, AccountReconnected)
    assert (await sim.client.get_account(account_id)).status == "OK"


async def test_restart_stopped_account(sim: Sim) -> None:
    account_id = await connected_instagram(sim)
    await sim.control.set_status(account_id, "STOPPED")
    restarted = await sim.client.restart_account(account_id)
    assert restarted.account_id == account_id
    assert (await sim.client.get_account(account_id)).status == "OK"


async def test_failed_scan_sets_error(sim: Sim) -> None:
    result = await sim.client.connect_account("WHATSAPP")
    failed = await sim.control.fail(result.account_id)
    assert failed.status == "ERROR"
