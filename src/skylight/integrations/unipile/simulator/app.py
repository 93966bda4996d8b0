"""The simulator as an ASGI app: ``create_simulator_app(SimulatorConfig(...))``.

It says no where Unipile says no (the "Corrections" of the Unipile reference, and the official
SDK's schemas, which a contract test runs against it): unknown providers, webhook events or
fields are a 400 in Unipile's error body; a new Telegram or Instagram chat must be addressed to
the user's numeric internal id (``GET /users/{identifier}`` gives it), never a username.

Decisions on the points the Unipile reference leaves UNVERIFIED (section 10 and around):

1. WA/TG connect answers 202 with ``Checkpoint{type: QRCODE}``; so does a reconnect. AccountCreated
   is 201, AccountReconnected 200, MessageSent/ChatStarted/WebhookCreated 201.
2. A QR code lives ``checkpoint_ttl_seconds`` (300); there is no refresh route: reconnect
   ``POST /accounts/{id}`` (or connect again) for a new code, which supersedes the old one (no
   425). Until scanned the account exists with source status CONNECTING, ``name`` = its id and
   ``connection_params.im`` holding its type's fields as empty strings. Scanning an expired code
   fails (409 on the control route).
3. WhatsApp ``pairing_phone_number`` is not simulated (ignored: a QR code is returned).
4. Resend checkpoint: 200 ``{object: CheckpointResend, account_id}``, the 5-minute window is not
   extended, no "too early" limit; for a QR code 501 ``errors/feature_not_implemented``.
   Restart: 200 ``{object: AccountRestarted, account_id}``; a STOPPED/ERROR account turns OK
   (webhook OK), any other status is left alone (CREDENTIALS needs a reconnect).
5. API sends echo as ``message_received`` (``echo_api_messages``) with ``is_sender: true`` and
   no ``account_info`` (as often live); messages received carry ``account_info``. ``attendees``
   lists the other party. Receipts: delivery only sets the message's ``delivered`` flag; a read
   sets ``seen``/``seen_by`` and emits ``message_read`` (no sender block). Reactions emit
   ``message_reaction``. A messaging webhook without ``events`` only gets ``message_received``.
6. Hosted auth is not simulated.
7. A missing or wrong API key: 401 ``errors/missing_credentials``. No rate limiting of its own
   (faults simulate upstream trouble).
8. Users: ids derived from the username or phone (stable); Instagram's pk (``provider_id``)
   differs from its ``provider_messaging_id``, which chats are addressed to. Attendees carry
   ``attendee_profile_url`` (instagram.com/<username>/, t.me/<username>) when the username is
   known. ``unknown_*`` users do not exist (404), ``unreachable_*`` ones cannot be messaged
   (422 ``errors/user_unreachable``).

Scripted Instagram logins (by username prefix): ``2fa_``/``2fa2_`` one or two OTP rounds (code
123456), ``inapp_`` an IN_APP_VALIDATION checkpoint (approved on the control route),
``arkose_`` a CAPTCHA checkpoint, ``captcha_`` 401 ``errors/captcha_not_supported``, ``busy_``
425 (an authentication already in progress), ``slow_`` an answer after
``slow_login_seconds`` (the account exists meanwhile); password ``wrong-password`` 401
``errors/invalid_credentials``. An intent past its 5 minutes: 500
``errors/authentication_intent_error`` (start again).

Other choices:
- An Instagram login waiting for a checkpoint already exists as a CONNECTING account (listed;
  it stays so if the intent expires).
- Unknown ids: 404 ``errors/resource_not_found`` "<Thing> not found". Limit outside 1-250, bad
  dates or cursors: 400 ``errors/invalid_parameters``. Lists are newest first.
- Sending from an account that is not OK: 401 ``errors/disconnected_account``. More than one
  attendee: 501 (no group chats). Connecting a known provider other than WA/TG/IG: 501.
- account_status sequence of a new login: CREATION_SUCCESS, OK, SYNC_SUCCESS (a reconnect:
  RECONNECTED, OK). After a 2FA solve the account is CONNECTING for ``connect_delay_seconds``;
  OK (+SYNC_SUCCESS) comes then. A failed QR attempt: source ERROR and webhook ERROR. A deleted
  account: webhook DELETED, its chats and messages are gone.
- Webhook lists show Instagram accounts with type MOBILE (the SDK rejects INSTAGRAM there) and
  add a ``source`` field; a webhook's ``name`` is always a string ("" when none was given).
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
    routes_users,
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
from skylight.integrations.unipile.simulator.tables import SCHEMA_VERSION, metadata
from skylight.kit.db import create_engine


def create_simulator_app(config: SimulatorConfig) -> FastAPI:
    engine = create_engine(f"sqlite+aiosqlite:///{config.db_path.resolve()}")
    state = SimulatorState(config=config, engine=engine, rng=random.Random(config.seed))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            version = (await conn.exec_driver_sql("PRAGMA user_version")).scalar()
            if version != SCHEMA_VERSION:
                # A file from an older simulator: start over rather than misread it.
                await conn.run_sync(metadata.drop_all)
                await conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
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
    routes = (
        routes_accounts,
        routes_messaging,
        routes_users,
        routes_webhooks,
        routes_control,
        attachments,
    )
    for module in routes:
        app.include_router(module.router)
    app.add_middleware(SimulatorGate, state=state)
    return app
