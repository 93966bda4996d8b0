"""Bulk import (CSV and JSON) through the API, as a background job: counts, row errors with
their lines, upserts that never duplicate, and the export of what was imported."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from tests.contacts.helpers import customer_list, finished, import_csv, phone, upload
from tests.factories import TenantFixture
from tests.sandbox_flows import make_contact

pytestmark = pytest.mark.both_databases


async def _export(
    client: httpx.AsyncClient, tenant: TenantFixture, **params: str
) -> list[dict[str, str]]:
    response = await client.get("/api/v1/contacts/export", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))


async def test_a_thousand_rows_with_bad_ones_import_once_and_export(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    crm = customer_list(1000, invalid=10, duplicates=5)
    response = await upload(client, tenant, crm.text)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["success"] is True
    assert accepted["data"]["state"] == "queued"
    assert accepted["data"]["total"] == 1000
    assert accepted["data"]["filename"] == "customers.csv"
    assert response.headers["location"] == f"/api/v1/contacts/imports/{accepted['data']['id']}"

    done = await finished(client, tenant, accepted["data"]["id"])
    assert (done["total"], done["processed"]) == (1000, 1000)
    assert (done["created"], done["updated"], done["skipped"]) == (985, 0, 15)
    errors = {e["line"]: e for e in done["errors"]}
    assert sorted(errors) == sorted(crm.invalid_lines + crm.duplicate_lines)
    for line in crm.invalid_lines:
        assert errors[line]["field"] == "phone"
        assert errors[line]["reason"].startswith(
            "Invalid phone '0501234567': must be in international"
        )
    for line in crm.duplicate_lines:
        assert errors[line] == {
            "line": line,
            "field": "phone",
            "reason": "Duplicate of line 2: the same whatsapp phone.",
        }

    again = await import_csv(client, tenant, crm.text)
    assert (again["created"], again["updated"], again["skipped"]) == (0, 985, 15)

    exported = await _export(client, tenant)
    assert len(exported) == 985
    assert list(exported[0]) == [
        "id",
        "name",
        "channel",
        "phone",
        "username",
        "opted_out_at",
        "created_at",
    ]
    assert len({row["phone"] for row in exported}) == 985
    # Arabic names arrive intact, through the import and the export.
    assert {"عميل 1", "Customer 2"} <= {row["name"] for row in exported}
    listing = await client.get("/api/v1/contacts", params={"q": "عميل 1"}, headers=tenant.headers)
    assert listing.json()["meta"]["total"] >= 1


async def test_an_import_updates_existing_contacts_and_never_duplicates(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    sarah = await make_contact(client, tenant, name="Sarah", channel="whatsapp", phone=phone(1))
    tg = await make_contact(client, tenant, name="Tg", channel="telegram", username="Tg_User")
    text = (
        "\ufeffname;channel;phone;username\n"  # a BOM and semicolons, as Excel saves them
        f"Sarah Johnson;WhatsApp;{phone(1)[:4]} {phone(1)[4:]};\n"
        ";telegram;+966501234567;tg_user\n"
        "Lina;instagram;;@lina.k\n"
    )
    done = await import_csv(client, tenant, text)
    assert (done["created"], done["updated"], done["skipped"]) == (1, 2, 0)

    fetched = await client.get(f"/api/v1/contacts/{sarah['id']}", headers=tenant.headers)
    assert fetched.json()["data"]["name"] == "Sarah Johnson"
    tg_now = (await client.get(f"/api/v1/contacts/{tg['id']}", headers=tenant.headers)).json()
    # No name in the row: the contact keeps its own; the phone is added.
    assert (tg_now["data"]["name"], tg_now["data"]["phone"]) == ("Tg", "+966501234567")
    listing = await client.get("/api/v1/contacts", headers=tenant.headers)
    assert listing.json()["meta"]["total"] == 3
    lina = [c for c in listing.json()["data"] if c["channel"] == "instagram"]
    assert [(c["name"], c["username"]) for c in lina] == [("Lina", "lina.k")]


async def test_each_bad_row_is_skipped_with_its_line_and_reason(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    text = (
        "channel,phone,username,name\n"
        "sms,+966501234567,,Unknown channel\n"
        ",+966501234567,,No channel\n"
        "whatsapp,,someone,No phone\n"
        "instagram,+966501234567,,No username\n"
        "telegram,,bad name!,Bad username\n"
        "whatsapp,+1 555,,Not a number\n"
        "\n"  # blank lines are not rows
        'whatsapp,+966501234567,,"A name\nover two lines"\n'
        "whatsapp,+966501234567,,The same phone\n"
    )
    done = await import_csv(client, tenant, text)
    assert (done["total"], done["created"], done["skipped"]) == (8, 1, 7)
    assert [(e["line"], e["field"], e["reason"]) for e in done["errors"]] == [
        (2, "channel", "Unknown channel 'sms': use whatsapp, telegram or instagram."),
        (3, "channel", "Missing channel: use whatsapp, telegram or instagram."),
        (4, "phone", "A WhatsApp contact needs a phone number."),
        (5, "username", "An Instagram contact needs a username."),
        (
            6,
            "username",
            "Invalid username 'bad name!': may contain only letters, digits, '.' and '_' "
            "(at most 64).",
        ),
        (7, "phone", "Invalid phone '+1 555': is not a valid phone number."),
        (11, "phone", "Duplicate of line 9: the same whatsapp phone."),
    ]


async def test_a_json_array_imports_like_a_csv(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    rows = [
        {"name": "نورة", "channel": "whatsapp", "phone": phone(7)},
        {"name": "Bad", "channel": "whatsapp", "phone": "12"},
        {"name": "Ann", "channel": "telegram", "username": "ann_t", "phone": None, "id": 9},
    ]
    response = await client.post("/api/v1/contacts/imports", json=rows, headers=tenant.headers)
    assert response.status_code == 202, response.text
    assert response.json()["data"]["format"] == "json"
    done = await finished(client, tenant, response.json()["data"]["id"])
    assert (done["total"], done["created"], done["skipped"]) == (3, 2, 1)
    # A JSON row is named by its position in the array.
    assert [e["line"] for e in done["errors"]] == [2]
    names = {
        c["name"]
        for c in (await client.get("/api/v1/contacts", headers=tenant.headers)).json()["data"]
    }
    assert names == {"نورة", "Ann"}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        (b"name,phone\nA,+966501234567\n", "text/csv", 422, "file"),  # no channel column
        (b"channel,name\nwhatsapp,A\n", "text/csv", 422, "file"),  # no phone or username
        (b"", "text/csv", 422, "file"),
        ("channel,phone\nwhatsapp,+9665\u00e9".encode("latin-1"), "text/csv", 422, "file"),
        (b"channel,phone\nwhatsapp,+966501234567\x00\n", "text/csv", 422, "file"),
        (b'{"name": "A"}', "application/json", 422, "body"),
        (b'[{"name": 1, "channel": "whatsapp"}]', "application/json", 422, "[0].name"),
        (b'[{"nmae": "A", "channel": "whatsapp"}]', "application/json", 422, "[0].nmae"),
        (b"[1]", "application/json", 422, "[0]"),
        (b"[{", "application/json", 422, "body"),
        (b"<contacts/>", "application/xml", 415, "content-type"),
    ],
)
async def test_an_upload_that_is_not_a_contact_list_is_refused_whole(
    client: httpx.AsyncClient,
    tenant: TenantFixture,
    body: bytes,
    content_type: str,
    status: int,
    field: str,
) -> None:
    response = await client.post(
        "/api/v1/contacts/imports",
        content=body,
        headers={**tenant.headers, "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    assert response.json()["success"] is False
    assert field in response.json()["errors"], response.json()


async def test_the_multipart_form_needs_its_file_and_a_bounded_body(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    no_file = await client.post(
        "/api/v1/contacts/imports",
        data={"other": "x"},
        files={"x": ("a.csv", b"")},
        headers=tenant.headers,
    )
    assert no_file.status_code == 422, no_file.text
    assert "file" in no_file.json()["errors"]
    big = b"channel,phone\n" + b"whatsapp,+966501234567\n" * (33 * 1024 * 1024 // 23 + 1)
    too_big = await upload(client, tenant, big.decode())
    assert too_big.status_code == 413, too_big.text
    assert too_big.json()["success"] is False


async def test_imports_are_the_workspace_s_own(
    client: httpx.AsyncClient, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    done = await import_csv(client, tenant, f"channel,phone\nwhatsapp,{phone(3)}\n")
    theirs = await client.get(
        f"/api/v1/contacts/imports/{done['id']}", headers=other_tenant.headers
    )
    assert theirs.status_code == 404
    assert (await client.get("/api/v1/contacts", headers=other_tenant.headers)).json()["meta"][
        "total"
    ] == 0
    listing = await client.get("/api/v1/contacts/imports", headers=tenant.headers)
    assert [i["id"] for i in listing.json()["data"]] == [done["id"]]
    assert listing.json()["meta"] == {"current_page": 1, "last_page": 1, "per_page": 15, "total": 1}
    events = await client.get(
        "/api/v1/events", params={"type": "contacts.imported"}, headers=tenant.headers
    )
    [event] = events.json()["data"]
    assert event["data"]["id"] == done["id"]
    assert event["data"]["state"] == "completed"
    assert event["data"]["created"] == 1


async def test_export_filters_and_defuses_formulas(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    await make_contact(client, tenant, name="=HYPERLINK(1)", channel="whatsapp", phone=phone(11))
    await make_contact(client, tenant, name="Tariq", channel="telegram", username="tariq")
    everyone = await _export(client, tenant)
    assert [r["name"] for r in everyone] == ["'=HYPERLINK(1)", "Tariq"]
    assert [r["channel"] for r in await _export(client, tenant, channel="telegram")] == ["telegram"]
    assert [r["name"] for r in await _export(client, tenant, q="tar")] == ["Tariq"]
    # Exported and imported again: the same names, nothing new.
    export = await client.get("/api/v1/contacts/export", headers=tenant.headers)
    done = await import_csv(client, tenant, export.text)
    assert (done["created"], done["updated"], done["skipped"]) == (0, 2, 0)
    names = await _export(client, tenant)
    assert [r["name"] for r in names] == ["'=HYPERLINK(1)", "Tariq"]
    bad = await client.get(
        "/api/v1/contacts/export", params={"channel": "sms"}, headers=tenant.headers
    )
    assert bad.status_code == 422


def test_a_json_body_is_checked_before_it_is_accepted() -> None:
    """(Pure) the JSON's own problems are reported per item."""
    from skylight.contacts.uploads import from_json
    from skylight.kit.errors import Unprocessable

    with pytest.raises(Unprocessable) as caught:
        from_json(json.dumps([{"channel": "whatsapp"}] * 3).encode(), max_rows=2)
    assert caught.value.errors == {"body": ["More than 2 items: split the array."]}


async def test_the_first_hundred_row_errors_are_kept(
    client: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    text = "channel,phone\n" + "fax,+966501234567\n" * 150
    done = await import_csv(client, tenant, text)
    assert (done["total"], done["skipped"]) == (150, 150)
    assert [e["line"] for e in done["errors"]] == list(range(2, 102))


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/api/v1/contacts/export", "GET"),
        ("DELETE", "/api/v1/contacts/export", "GET"),
        ("POST", "/api/v1/contacts/export", "GET"),
        ("PATCH", "/api/v1/contacts/imports", "GET, POST"),
        ("DELETE", "/api/v1/contacts/imports", "GET, POST"),
    ],
)
async def test_other_methods_on_import_and_export_are_405(
    client: httpx.AsyncClient, tenant: TenantFixture, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path, headers=tenant.headers)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allow
    assert response.json()["success"] is False
