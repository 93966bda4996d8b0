"""The application factory and its lifespan: engine, sessions and upstream clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from skylight import __version__, wiring
from skylight.api import api_router
from skylight.background import Services, make_worker
from skylight.dashboard.endpoints import install_dashboard
from skylight.events.notifier import Notifier
from skylight.files.limits import MAX_UPLOAD_BYTES, MULTIPART_OVERHEAD
from skylight.files.storage import open_storage
from skylight.inbound.applier import InboxApplier
from skylight.inbound.endpoints import router as inbound_router
from skylight.inbound.lifecycle import inbound_webhooks
from skylight.integrations.unipile.handlers import install_unipile_error_handler
from skylight.jobs.service import JOBS_CHANNEL
from skylight.kit.body_limit import BodyLimitMiddleware
from skylight.kit.db import Database, create_engine
from skylight.kit.handlers import install_error_handlers
from skylight.kit.loops import Loops
from skylight.kit.openapi import install_openapi, operation_id
from skylight.kit.readiness import Reports
from skylight.kit.request_id import RequestIdMiddleware
from skylight.kit.settings import Settings, get_settings
from skylight.kit.signals import Signals
from skylight.messages.reconciler import Reconciler
from skylight.ops.endpoints import router as ops_router
from skylight.ops.wiring import install_ops, ops_running
from skylight.upstream import connect_upstream
from skylight.webhooks.sender import webhook_sender

DESCRIPTION = """One REST API for WhatsApp, Telegram and Instagram.

Authenticate every `/api/v1` call with `Authorization: Bearer <key>` or `X-Api-Key: <key>`.
Responses use the envelope `{"success", "data", "message", "meta"}`; failures are
`{"success": false, "message", "errors"}`. Every response carries `X-Request-Id`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    wiring.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(
            create_engine(settings.resolved_database_url, pool_size=settings.database_pool_size)
        )
        app.state.db = db
        app.state.sessionmaker = db.sessionmaker
        signals = Signals()
        signals.install(db.session_class, db.engine)
        wiring.listen(signals)
        app.state.signals = signals
        notifier = Notifier()
        notifier.install_local_hook(db.session_class)
        notifier.attach(signals)
        app.state.notifier = notifier
        # This process's supervised loops besides the worker's (LISTEN, webhook registration).
        loops = Loops()
        try:
            async with (
                connect_upstream(settings) as upstream,
                ops_running(app, settings, db, upstream.unipile),
                webhook_sender(settings) as webhooks,
            ):
                app.state.unipile = upstream.unipile
                app.state.storage = open_storage(settings)
                app.state.simulator = upstream.control
                app.state.webhooks = webhooks
                app.state.reconciler = Reconciler(db, upstream.unipile)
                worker = make_worker(Services(db, upstream.unipile, settings, webhooks))
                app.state.worker = worker
                app.state.readiness.watch(loops)
                async with contextlib.AsyncExitStack() as stack:
                    stack.push_async_callback(loops.stop)
                    await stack.enter_async_context(
                        inbound_webhooks(settings, upstream.unipile, app.state.reports, loops)
                    )
                    # Unipile's messaging webhooks are queued by the endpoint, applied here.
                    app.state.inbox = InboxApplier(db)
                    app.state.inbox.start(loops)
                    if settings.run_jobs_in_process:
                        signals.subscribe(JOBS_CHANNEL, worker.wake)
                        app.state.readiness.watch(worker.loops)
                        await stack.enter_async_context(worker.running())
                    signals.listen(db.engine, loops)
                    yield
        finally:
            await db.dispose()

    app = FastAPI(
        title="SkyLight Chat API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    # What background parts report for /readyz (e.g. Unipile's webhook registration).
    app.state.reports = Reports()
    # Inside the request id (its 413 carries one), before anything parses a body.
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.max_request_body_bytes,
        by_path=[
            ("/webhooks/unipile", settings.max_unipile_webhook_body_bytes),
            # Bulk contact imports: 100,000 rows of CSV (or JSON), the API's and the dashboard's.
            ("/api/v1/contacts/imports", settings.contacts_import_max_bytes),
            ("/dashboard/contacts/imports", settings.contacts_import_max_bytes),
            # Uploads: the largest file any channel takes, and the multipart around it.
            ("/api/v1/files", MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD),
            ("/api/v1/sandbox/inbound", MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD),
            # The dashboard's composer attaches a file to its message.
            ("/dashboard/inbox/", MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD),
        ],
    )
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    install_unipile_error_handler(app)
    app.include_router(api_router)
    app.include_router(inbound_router)
    install_dashboard(app)
    install_ops(app)
    install_openapi(app)
    app.include_router(ops_router)
    return app
