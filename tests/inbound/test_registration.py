"""Our webhooks at Unipile: one per event Unipile has (message_received, message_read,
account_status; never message_delivered), kept idempotent; a refusal is a configuration error
shown by /readyz and not retried."""

from __future__ import annotations

import logging

import pytest

from skylight.inbound.registration import REPORT, attempt, register
from skylight.inbound.secret import HEADER
from skylight.kit.readiness import Reports
from tests.integrations.unipile.conftest import Sim

URL = "http://127.0.0.1:9/webhooks/unipile"


async def test_each_event_is_registered_on_its_own(sim: Sim) -> None:
    ids = await register(sim.client, URL, "s3cret")
    hooks = (await sim.client.list_webhooks()).items
    assert sorted(h.id for h in hooks) == sorted(ids)
    shapes = {(h.name, h.source, tuple(h.events or ())) for h in hooks}
    assert shapes == {
        ("skylight-message_received", "messaging", ("message_received",)),
        ("skylight-message_read", "messaging", ("message_read",)),
        ("skylight-account_status", "account_status", ()),
    }
    assert all({(x.key, x.value) for x in h.headers} >= {(HEADER, "s3cret")} for h in hooks)


async def test_registering_again_keeps_replaces_and_cleans_up(sim: Sim) -> None:
    first = await register(sim.client, URL, "s3cret")
    assert await register(sim.client, URL, "s3cret") == first  # idempotent
    # An older deployment's single messaging webhook, and one of someone else.
    old = await sim.client.create_webhook(URL, "messaging", name="skylight-messaging")
    other = await sim.client.create_webhook("http://127.0.0.1:9/theirs", "messaging", name="crm")
    rotated = await register(sim.client, URL, "new-secret")
    hooks = {h.id: h for h in (await sim.client.list_webhooks()).items}
    assert set(hooks) == {*rotated, other.webhook_id}
    assert old.webhook_id not in hooks
    assert not set(first) & set(rotated)  # a changed secret means new webhooks


async def test_a_refusal_is_reported_and_not_retried(
    sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    reports = Reports()
    with caplog.at_level(logging.ERROR, logger="skylight.inbound"):
        # Unipile refuses a request_url that is not http(s): a 400, as for a bad event.
        done = await attempt(
            sim.client, "ftp://127.0.0.1/webhooks/unipile", "a-long-secret", reports
        )
    assert done  # final: not retried
    [(name, report)] = reports.items()
    assert name == REPORT
    assert report.state == "refused"
    assert report.problem is not None
    assert "request_url" in report.problem
    assert "Not retried" in caplog.text


async def test_a_wrong_key_is_a_refusal_too(sim: Sim) -> None:
    reports = Reports()
    async with type(sim.client)(sim.url, "wrong-key", max_retries=0) as stranger:
        assert await attempt(stranger, URL, "s", reports)
    [(_, report)] = reports.items()
    assert report.state == "refused"
    assert report.problem is not None
    assert "missing_credentials" in report.problem


async def test_an_unreachable_unipile_is_retried(sim: Sim) -> None:
    reports = Reports()
    async with type(sim.client)("http://127.0.0.1:9", "k", max_retries=0) as nowhere:
        assert not await attempt(nowhere, URL, "s", reports)
    assert [(n, r.state, r.problem) for n, r in reports.items()] == [(REPORT, "registering", None)]
