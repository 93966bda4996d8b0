"""POST /webhooks/unipile: Unipile's webhooks, authenticated by the shared-secret header."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from skylight.inbound import service
from skylight.inbound.applier import InboxApplier
from skylight.inbound.screening import too_long
from skylight.inbound.secret import HEADER, matches, webhook_secret
from skylight.integrations.unipile.schemas import AccountStatusWebhookPayload
from skylight.kit.db import Database
from skylight.kit.envelope import MessageResponse
from skylight.kit.errors import BadRequest, Unauthorized
from skylight.kit.openapi import error
from skylight.kit.settings import Settings

JSON = "application/json"

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
async def receive(request: Request) -> Response:
    # The busiest route there is (every message anyone writes): app state is read here rather
    # than through dependencies, and the answer is one of a few fixed bodies.
    state = request.app.state
    settings: Settings = state.settings
    if not matches(webhook_secret(settings), request.headers.get(HEADER)):
        raise Unauthorized("Missing or wrong Unipile-Auth header.")
    raw = await request.body()  # bounded by kit.body_limit
    try:
        data = json.loads(raw)
    except ValueError:
        # Unipile sends no JSON content type by default, so the body is parsed whatever it says.
        raise BadRequest("Malformed JSON body.") from None
    # A NUL can only come escaped in JSON text: without one, there is none to remove.
    payload = service.parse(data, nul_free=_NUL not in raw)
    if (problem := too_long(payload)) is not None:
        # Acknowledged, so Unipile stops retrying what we could never store.
        logger.warning("Unipile webhook ignored: %s is longer than any Unipile id", problem)
        return _answer(f"Ignored: {problem} is too long.")
    db: Database = state.db
    if isinstance(payload, AccountStatusWebhookPayload):
        await service.apply_status(db, state.unipile, payload, state.reconciler.trigger)
        return _answer(_APPLIED)
    applier: InboxApplier = state.inbox
    applier.handling += 1
    try:
        if not await service.accept(db, payload, _as_text(raw, data)):
            return _answer(_ALREADY)
        applied = await applier.apply_now()
    finally:
        applier.handling -= 1
    # Accepted: stored, and applied within moments by this process's inbox loop.
    return _answer(_APPLIED if applied else _ACCEPTED)


_NUL = b"\\u0000"


def _body(message: str) -> bytes:
    return MessageResponse(message=message).model_dump_json().encode()


def _answer(message: str | bytes) -> Response:
    # A new Response each time: middlewares add headers to its header list.
    return Response(message if isinstance(message, bytes) else _body(message), media_type=JSON)


_APPLIED, _ALREADY, _ACCEPTED = (_body(m) for m in ("Applied.", "Already applied.", "Accepted."))


def _as_text(raw: bytes, data: object) -> str:
    """The body to queue: as received (valid JSON, and without NULs: JSON text cannot hold a
    raw one, and escaped ones are removed when it is applied), or re-encoded if not UTF-8."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return json.dumps(data)
