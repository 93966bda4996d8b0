"""POST /webhooks/unipile: Unipile's webhooks, authenticated by the shared-secret header."""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Header, Request

from skylight.inbound import service
from skylight.inbound.applier import InboxApplier
from skylight.inbound.screening import too_long
from skylight.inbound.secret import HEADER, matches, webhook_secret
from skylight.integrations.unipile.dependencies import UnipileDep
from skylight.integrations.unipile.schemas import AccountStatusWebhookPayload
from skylight.kit.dependencies import AppSettings, Db
from skylight.kit.envelope import MessageResponse
from skylight.kit.errors import BadRequest, Unauthorized
from skylight.kit.openapi import error

router = APIRouter(tags=["unipile"])
logger = logging.getLogger("skylight.inbound")


@router.post(
    "/webhooks/unipile",
    response_model=MessageResponse,
    responses={
        400: error("Malformed JSON body"),
        401: error("Missing or wrong Unipile-Auth header"),
        413: error("Body larger than SKYLIGHT_MAX_UNIPILE_WEBHOOK_BODY_BYTES"),
        422: error("Not a Unipile webhook payload we understand"),
    },
)
async def receive(
    request: Request,
    settings: AppSettings,
    db: Db,
    unipile: UnipileDep,
    secret: Annotated[str | None, Header(alias=HEADER, include_in_schema=False)] = None,
) -> MessageResponse:
    if not matches(webhook_secret(settings), secret):
        raise Unauthorized("Missing or wrong Unipile-Auth header.")
    raw = await request.body()  # bounded by kit.body_limit
    try:
        data = json.loads(raw)
    except ValueError:
        # Unipile sends no JSON content type by default, so the body is parsed whatever it says.
        raise BadRequest("Malformed JSON body.") from None
    payload = service.parse(data)
    if (problem := too_long(payload)) is not None:
        # Acknowledged, so Unipile stops retrying what we could never store.
        logger.warning("Unipile webhook ignored: %s is longer than any Unipile id", problem)
        return MessageResponse(message=f"Ignored: {problem} is too long.")
    if isinstance(payload, AccountStatusWebhookPayload):
        await service.apply_status(db, unipile, payload, request.app.state.reconciler.trigger)
        return MessageResponse(message="Applied.")
    applier: InboxApplier = request.app.state.inbox
    applier.handling += 1
    try:
        if not await service.accept(db, payload, _as_text(raw, data)):
            return MessageResponse(message="Already applied.")
        applied = await applier.apply_now()
    finally:
        applier.handling -= 1
    # Accepted: stored, and applied within moments by this process's inbox loop.
    return MessageResponse(message="Applied." if applied else "Accepted.")


def _as_text(raw: bytes, data: object) -> str:
    """The body to queue: as received (valid JSON, and without NULs: JSON text cannot hold a
    raw one, and escaped ones are removed when it is applied), or re-encoded if not UTF-8."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return json.dumps(data)
