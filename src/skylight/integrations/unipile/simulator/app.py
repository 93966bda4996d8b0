"""The simulator as an ASGI app: ``create_simulator_app(SimulatorConfig(...))``.

Decisions on the points the Unipile reference leaves UNVERIFIED (section 10 and around):

1. WA/TG connect answers 202 with ``Checkpoint{type: QRCODE}``; so does a reconnect. AccountCreated
   is 201, AccountReconnected 200, MessageSent/ChatStarted/WebhookCreated 201.
2. A QR code lives ``checkpoint_ttl_seconds`` (300); there is no refresh route: reconnect
   ``POST /accounts/{id}`` (or connect again) for a new code, which supersedes the old one (no
   425). Until scanned the account exists with source status CONNECTING, ``name`` = its id and
   ``connection_params.im = {}``. Scanning an expired code fails (409 on the control route).
3. WhatsApp ``pairing_phone_number`` is not simulated (ignored: a QR code is returned).
4. Resend checkpoint: 200 with the same ``Checkpoint{type: OTP}``, the 5-minute window is not
   extended, no "too early" limit; for a QR code 501 ``errors/feature_not_implemented``. Restart:
   200 ``{object: AccountRestarted, account_id}``; a STOPPED/ERROR account turns OK (webhook OK),
   any other status is left alone (CREDENTIALS needs a reconnect).
5. API sends echo as ``message_received`` (``echo_api_messages``), sender = the account's own
   attendee, so ``sender.attendee_provider_id == account_info.user_id``. Payloads carry only the
   documented fields (``account_info.feature`` is ``"classic"``); ``attendees`` lists the other
   party, not the account owner. Receipts are ``message_delivered`` and ``message_read`` with
   the same shape (sender = the message's sender, timestamp = when the receipt happened).
   A messaging webhook without ``events`` only gets ``message_received``.
6. Hosted auth is not simulated.
7. Missing key: 401 ``errors/missing_credentials``; wrong key: 401 ``errors/invalid_credentials``.
   No rate limiting of its own (faults simulate upstream trouble).

Other choices:
- An Instagram login waiting for 2FA already exists as a CONNECTING account (listed; it stays
  so if the intent expires). An expired intent: 401 ``errors/checkpoint_error``
  "Authentication intent expired".
- Unknown ids: 404 ``errors/resource_not_found`` "<Thing> not found". Limit outside 1-250, bad
  dates or cursors: 400 ``errors/invalid_parameters``. Lists are newest first.
- Sending from an account that is not OK: 401 ``errors/disconnected_account``. More than one
  attendee: 501 (no group chats). Connecting another provider than WA/TG/IG: 501.
- account_status sequence of a new login: CREATION_SUCCESS, OK, SYNC_SUCCESS (a reconnect:
  RECONNECTED, OK). After a 2FA solve the account is CONNECTING for ``connect_delay_seconds``;
  OK (+SYNC_SUCCESS) comes then. A failed QR attempt: source ERROR and webhook ERROR. A deleted
  account: webhook DELETED, its chats and messages are gone.
- Webhook lists show Instagram accounts with type MOBILE (the SDK rejects INSTAGRAM there) and
  add a ``source`` field. Telegram/Instagram provider ids are taken verbatim (no lookup).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from skylight.integrations.unipile.simulator import (
    attachments,
    routes_accounts,
    routes_control,
    routes_messaging,
    routes_webhooks,
)
from skylight.integrations.unipile.simulator.config import SimulatorConfig
from skylight.integrations.unipile.simulator.dispatcher import Dispatcher
from skylight.integrations.unipile.simulator.errors import (
    SimError,
    handle_http_error,
    handle_sim_error,
    handle_validation_error,
)
from skylight.integrations.unipile.simulator.gate import SimulatorGate
from skylight.integrations.unipile.simulator.state import SimulatorState
from skylight.integrations.unipile.simulator.tables import metadata
from skylight.kit.db import create_engine


def create_simulator_app(config: SimulatorConfig) -> FastAPI:
    engine = create_engine(f"sqlite+aiosqlite:///{config.db_path.resolve()}")
    state = SimulatorState(config=config, engine=engine, rng=random.Random(config.seed))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        dispatcher = Dispatcher(state)
        dispatcher.start()
        try:
            yield
        finally:
            await dispatcher.stop()
            await engine.dispose()

    app = FastAPI(
        title="Unipile simulator",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.sim = state
    app.add_exception_handler(SimError, handle_sim_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    for module in (routes_accounts, routes_messaging, routes_webhooks, routes_control, attachments):
        app.include_router(module.router)
    app.add_middleware(SimulatorGate, state=state)
    return app
