"""Query strings a page reads loosely (a page number, an import to show) fall back to the
default on odd input: never a 500."""

from __future__ import annotations

from fastapi import FastAPI

from tests.dashboard.helpers import Login, browserless, signed_in

ODD = ["page=²", "page=-1", "page=1e3", "import=²", "import=99999999999"]


async def test_odd_numbers_in_the_contacts_page_query_are_ignored(
    app: FastAPI, login: Login
) -> None:
    async with browserless(app) as http:
        await signed_in(http, login)
        for query in ODD:
            for path in ("/dashboard/contacts", "/dashboard/contacts/rows"):
                response = await http.get(f"{path}?{query}")
                assert response.status_code == 200, (path, query, response.status_code)
