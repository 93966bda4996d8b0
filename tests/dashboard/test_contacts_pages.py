"""The Contacts pages without a browser: only the workspace's own contacts and imports, every
change needs the session's CSRF token, a bad upload is explained, and the export is CSV."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.contacts.helpers import import_csv, phone
from tests.dashboard.helpers import Login, browserless, make_login, signed_in
from tests.factories import TenantFixture
from tests.sandbox_flows import eventually, make_contact


async def test_another_workspaces_contacts_and_imports_are_not_found(
    app: FastAPI,
    client: httpx.AsyncClient,
    login: Login,
    other_tenant: TenantFixture,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await make_login(sessionmaker, other_tenant)
    theirs = await make_contact(
        client, other_tenant, name="Their Secret Customer", channel="whatsapp", phone=phone(40)
    )
    their_import = await import_csv(client, other_tenant, f"channel,phone\nwhatsapp,{phone(41)}\n")

    async with browserless(app) as http:
        token = await signed_in(http, login)
        for path in (
            f"/dashboard/contacts/{theirs['id']}",
            f"/dashboard/contacts/imports/{their_import['id']}",
            "/dashboard/contacts/99999999999",
        ):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert "Their Secret Customer" not in response.text
        for action in ("opt-out", "opt-in", "delete"):
            refused = await http.post(
                f"/dashboard/contacts/{theirs['id']}/{action}", data={"csrf_token": token}
            )
            assert refused.status_code == 404, action
        edited = await http.post(
            f"/dashboard/contacts/{theirs['id']}", data={"csrf_token": token, "name": "Mine"}
        )
        assert edited.status_code == 404
        for path in (
            "/dashboard/contacts",
            "/dashboard/contacts/rows",
            "/dashboard/contacts/export",
        ):
            listed = await http.get(path)
            assert listed.status_code == 200, path
            assert "Their Secret Customer" not in listed.text
            assert phone(41) not in listed.text
        shown = await http.get("/dashboard/contacts", params={"import": their_import["id"]})
        assert "import-panel" not in shown.text

    still = await client.get(f"/api/v1/contacts/{theirs['id']}", headers=other_tenant.headers)
    assert still.json()["data"]["opted_out_at"] is None
    assert still.json()["data"]["name"] == "Their Secret Customer"


async def test_changes_need_the_csrf_token(
    app: FastAPI, client: httpx.AsyncClient, login: Login
) -> None:
    mine = await make_contact(
        client, login.tenant, name="Mine", channel="whatsapp", phone=phone(42)
    )
    async with browserless(app) as http:
        await signed_in(http, login)
        for path in (
            f"/dashboard/contacts/{mine['id']}/opt-out",
            f"/dashboard/contacts/{mine['id']}/delete",
            f"/dashboard/contacts/{mine['id']}",
        ):
            refused = await http.post(path, data={"name": "Changed"})
            assert refused.status_code == 403, path
        upload = await http.post(
            "/dashboard/contacts/imports",
            files={"file": ("a.csv", f"channel,phone\nwhatsapp,{phone(43)}\n".encode())},
        )
        assert upload.status_code == 403
    fetched = await client.get(f"/api/v1/contacts/{mine['id']}", headers=login.tenant.headers)
    assert fetched.json()["data"]["name"] == "Mine"
    assert fetched.json()["data"]["opted_out_at"] is None


async def test_an_upload_is_explained_and_the_export_is_csv(
    app: FastAPI, client: httpx.AsyncClient, login: Login
) -> None:
    async with browserless(app) as http:
        token = await signed_in(http, login)
        bad = await http.post(
            "/dashboard/contacts/imports",
            data={"csrf_token": token},
            files={"file": ("people.csv", b"name,email\nA,a@example.com\n", "text/csv")},
        )
        assert bad.status_code == 422
        assert "The first line must name the columns" in bad.text
        good = await http.post(
            "/dashboard/contacts/imports",
            data={"csrf_token": token},
            files={
                "file": ("people.csv", f"Channel,Phone,Name\nwhatsapp,{phone(44)},Zed\n".encode())
            },
        )
        assert good.status_code == 303
        import_path = good.headers["location"]
        assert import_path.startswith("/dashboard/contacts?import=")
        panel = f"/dashboard/contacts/imports/{import_path.rsplit('=', 1)[1]}"
        done = await eventually(lambda: http.get(panel), lambda r: "completed" in r.text)
        assert "1 of 1 rows: 1 created, 0 updated, 0 skipped" in done.text
        export = await http.get("/dashboard/contacts/export", params={"q": "zed"})
        assert export.headers["content-type"] == "text/csv; charset=utf-8"
        assert export.text.removeprefix("\ufeff").splitlines()[1].split(",")[1:4] == [
            "Zed",
            "whatsapp",
            phone(44),
        ]
