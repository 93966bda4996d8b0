"""One simulator serves every workspace of a sandbox server, so each call to it says which
workspace it is for (the `X-Sandbox-Tenant` header): the simulator then applies that
workspace's faults only, and remembers which workspace created each account (its webhooks get
that workspace's faults too). Calls made outside a workspace's request carry no tenant."""

from __future__ import annotations

import httpx

from skylight.integrations.unipile.simulator.state import TENANT_HEADER
from skylight.kit.logging import workspace_id_var


def tenant_of(workspace_id: int) -> str:
    return f"ws_{workspace_id}"


async def tag_with_tenant(request: httpx.Request) -> None:
    """An httpx request hook: the authenticated workspace of the current request, if any."""
    workspace_id = workspace_id_var.get()
    if workspace_id is not None and TENANT_HEADER not in request.headers:
        request.headers[TENANT_HEADER] = tenant_of(workspace_id)
