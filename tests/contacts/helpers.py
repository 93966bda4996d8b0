"""Import files for tests: a customer list with known bad rows, and the calls around it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import TenantFixture
from tests.sandbox_flows import eventually

Json = dict[str, Any]


def phone(n: int) -> str:
    """A valid Saudi mobile number of its own for each n < 10**6, ending in 1 (never in 0000,
    the simulator's 'not on WhatsApp')."""
    return f"+96656{n * 10 + 1:07d}"


@dataclass
class CustomerList:
    """A CSV export as a CRM would make it: the header in its own case, Arabic names, and
    known problems at known lines (the header is line 1, row i is line i + 2)."""

    text: str
    good: int
    invalid_lines: list[int] = field(default_factory=list)
    duplicate_lines: list[int] = field(default_factory=list)


def customer_list(
    rows: int, *, invalid: int = 0, duplicates: int = 0, start: int = 0
) -> CustomerList:
    lines = ["Name,CHANNEL,Phone,username,notes"]
    bad: list[int] = []
    twice: list[int] = []
    for i in range(rows):
        line = i + 2
        name = f"عميل {start + i}" if i % 2 else f"Customer {start + i}"
        number = phone(start + i)
        if i % 97 == 5 and len(bad) < invalid:
            number, bad = "0501234567", [*bad, line]  # no country code
        elif i % 89 == 7 and len(twice) < duplicates and i > 0:
            # The first row's number again, written another way: the same contact.
            number, twice = "00" + phone(start)[1:], [*twice, line]
        lines.append(f'"{name}",whatsapp,{number},,"imported, {i}"')
    assert len(bad) == invalid, "too few rows for the invalid ones"
    assert len(twice) == duplicates, "too few rows for the duplicates"
    return CustomerList("\n".join(lines) + "\n", rows - invalid - duplicates, bad, twice)


async def upload(
    client: httpx.AsyncClient, tenant: TenantFixture, text: str, name: str = "customers.csv"
) -> httpx.Response:
    files = {"file": (name, text.encode("utf-8"), "text/csv")}
    return await client.post("/api/v1/contacts/imports", files=files, headers=tenant.headers)


async def get_import(client: httpx.AsyncClient, tenant: TenantFixture, import_id: int) -> Json:
    response = await client.get(f"/api/v1/contacts/imports/{import_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: Json = response.json()["data"]
    return data


async def finished(client: httpx.AsyncClient, tenant: TenantFixture, import_id: int) -> Json:
    done = await eventually(
        lambda: get_import(client, tenant, import_id),
        lambda i: i["state"] in ("completed", "failed"),
        within=30,
    )
    assert done["state"] == "completed", done
    return done


async def import_csv(client: httpx.AsyncClient, tenant: TenantFixture, text: str) -> Json:
    response = await upload(client, tenant, text)
    assert response.status_code == 202, response.text
    return await finished(client, tenant, response.json()["data"]["id"])
