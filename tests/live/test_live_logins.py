"""Live mode, what can go wrong on day one: a wrong API key, an Instagram login that takes longer
than our patience, a verification intent that expired at Unipile."""

from __future__ import annotations

from tests.live.conftest import StartLive

API = "/api/v1"


async def test_a_wrong_api_key_is_shown_by_readyz_and_never_blamed_on_the_user(
    start_live: StartLive,
) -> None:
    async with start_live(api_key="not-the-simulators-key") as live:
        ready = await live.http.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["data"]["unipile_webhooks"] == "refused"
        assert "missing_credentials" in body["errors"]["unipile_webhooks"][0]
        assert (await live.unipile.list_webhooks()).items == []  # nothing was registered
        login = await live.http.post(
            f"{API}/channels/instagram/connect", json={"username": "shop", "password": "right"}
        )
        assert login.status_code == 502
        assert "API key" in login.json()["message"]  # not "wrong password"


async def test_a_login_slower_than_our_timeout_leaves_no_account_at_unipile(
    start_live: StartLive,
) -> None:
    async with start_live(
        sim={"slow_login_seconds": 1.0}, unipile_auth_timeout_seconds=0.3
    ) as live:
        answer = await live.http.post(
            f"{API}/channels/instagram/connect", json={"username": "slow_shop", "password": "pw"}
        )
        assert answer.status_code == 503, answer.text
        assert "did not answer in time" in answer.json()["message"]
        # Unipile made the account before it stopped answering: it was deleted.
        accounts = [a async for a in live.unipile.iter_accounts()]
        assert [a.name for a in accounts] == []
        channels = await live.http.get(f"{API}/channels")
        assert channels.json()["data"] == []


async def test_an_expired_intent_means_connect_again(start_live: StartLive) -> None:
    # An intent that lives a millisecond at Unipile: expired by the time a code comes.
    async with start_live(sim={"checkpoint_ttl_seconds": 0.001}) as live:
        first = await live.http.post(
            f"{API}/channels/instagram/connect", json={"username": "2fa_late", "password": "pw"}
        )
        assert first.status_code == 200, first.text
        account_id = first.json()["data"]["account_id"]
        late = await live.http.post(
            f"{API}/channels/instagram/2fa", json={"account_id": account_id, "code": "123456"}
        )
        assert late.status_code == 422, late.text
        assert late.json()["message"] == (
            "This verification attempt has expired. Connect again to get a new code."
        )
        status = await live.http.get(f"{API}/channels/instagram/status")
        assert status.json()["data"]["sync_status"] == "CREATION_FAIL"
