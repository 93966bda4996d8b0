"""`skylight campaigns list` and `skylight campaigns watch ID` against the test database."""

from __future__ import annotations

from pathlib import Path

import httpx

from skylight.kit.settings import Settings
from tests.campaigns.flows import act, connect_whatsapp, create, until_state, whatsapp_contacts
from tests.cli_runner import skylight
from tests.factories import TenantFixture


async def test_list_and_watch(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    other_tenant: TenantFixture,
    campaign_settings: Settings,
    tmp_path: Path,
) -> None:
    await connect_whatsapp(client, tenant)
    await whatsapp_contacts(client, tenant, 2)
    done = await create(client, tenant, name="Clinic reminders", filter={})
    await act(client, tenant, done["id"], "start")
    await until_state(client, tenant, done["id"], "completed")
    draft = await create(client, tenant, name="Next week", filter={})
    await whatsapp_contacts(client, other_tenant, 1)
    await create(client, other_tenant, name="Someone else's", filter={})

    listed = await skylight(campaign_settings, "campaigns", "list", "--workspace", tenant.slug)
    assert listed.exit_code == 0, listed.stderr
    rows = {line.split("│")[2].strip(): line for line in listed.stdout.splitlines() if "│" in line}
    assert set(rows) == {"Clinic reminders", "Next week"}, listed.stdout
    assert "completed" in rows["Clinic reminders"]
    assert [cell.strip() for cell in rows["Next week"].split("│")[3:9]] == [
        "whatsapp",
        "draft",
        "0",
        "0",
        "2",
        "2",
    ]

    watched = await skylight(campaign_settings, "campaigns", "watch", str(done["id"]))
    assert watched.exit_code == 0, watched.stderr
    assert "Clinic reminders" in watched.stdout
    assert "2/2" in watched.stdout
    assert f"Campaign {done['id']} completed: 2 sent, 0 failed." in watched.stdout

    missing = await skylight(campaign_settings, "campaigns", "watch", "999999999")
    assert missing.exit_code == 1
    assert "Campaign 999999999 not found." in missing.stderr
    assert draft["state"] == "draft"
