from __future__ import annotations

import httpx


async def test_the_servers_address_leads_to_the_dashboard(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert home.status_code == 307
    assert home.headers["location"] == "/dashboard"
    followed = await client.get("/", follow_redirects=True)
    assert followed.status_code == 200
    assert "Sign in" in followed.text
