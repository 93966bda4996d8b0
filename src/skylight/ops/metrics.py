"""Prometheus metrics. Request and Unipile metrics are counted as they happen; message counts
are read from the database at scrape time, so they are exactly what the database holds.

With several worker processes (`skylight serve --workers N`) PROMETHEUS_MULTIPROC_DIR is set
and every scrape adds up the counters of all workers of that server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skylight.integrations.unipile import transport as unipile_transport
from skylight.jobs.repository import WorkerRepository
from skylight.kit.db import Database
from skylight.kit.loops import LoopHealth
from skylight.kit.settings import Settings
from skylight.kit.time import utcnow
from skylight.ops.repository import (
    delivery_counts,
    job_counts,
    message_counts,
    recipient_counts,
)

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "skylight_http_requests",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "skylight_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
)
UNIPILE_REQUESTS = Counter(
    "skylight_unipile_requests",
    "Attempts at calling Unipile (each retry counts), by outcome: ok or the error type.",
    ["method", "resource", "outcome"],
)
UNIPILE_ERRORS = Counter(
    "skylight_unipile_errors", "Failed attempts at calling Unipile, by error type.", ["type"]
)
UNIPILE_LATENCY = Histogram(
    "skylight_unipile_request_duration_seconds",
    "Time of one attempt at calling Unipile, by method and resource.",
    ["method", "resource"],
)

UNMATCHED_ROUTE = "<unmatched>"


class MetricsMiddleware:
    """Counts every HTTP request under its route template (/api/v1/messages/{message_id}),
    never the raw path, so the number of series stays bounded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            route = route_template(scope)
            method = scope["method"]
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The matched route's full template. FastAPI keeps included routers nested and puts the
    route with its path relative to its router in the scope, so the router prefixes, which
    have no parameters here, are taken back from the request path."""
    route = scope.get("route")
    # path_format drops converters: /messages/{message_id:int} -> /messages/{message_id}
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED_ROUTE
    path: str = scope["path"]
    extra = path.count("/") - template.count("/")
    if extra <= 0 or ":path}" in str(getattr(route, "path", "")):
        return template
    return "/".join(path.split("/")[: extra + 1]) + template


def observe_unipile(attempt: unipile_transport.Attempt) -> None:
    # "/chats/abc/messages" -> "chats": ids would make one series per chat.
    resource = attempt.path.strip("/").split("/", 1)[0] or "root"
    outcome = "ok" if attempt.error is None else type(attempt.error).__name__
    UNIPILE_REQUESTS.labels(attempt.method, resource, outcome).inc()
    UNIPILE_LATENCY.labels(attempt.method, resource).observe(attempt.seconds)
    if attempt.error is not None:
        UNIPILE_ERRORS.labels(outcome).inc()


def install_unipile_observer() -> None:
    unipile_transport.set_attempt_observer(observe_unipile)


async def worker_families(db: Database, settings: Settings) -> list[Metric]:
    """Background work across processes, as /readyz judges it."""
    alive = GaugeMetricFamily(
        "skylight_workers_alive", "Workers whose heartbeat is within SKYLIGHT_JOB_STALL_SECONDS."
    )
    heartbeat = GaugeMetricFamily(
        "skylight_worker_heartbeat_age_seconds", "Seconds since the latest worker heartbeat."
    )
    overdue = GaugeMetricFamily(
        "skylight_jobs_overdue",
        "Jobs claimable for longer than SKYLIGHT_JOB_STALL_SECONDS and not yet claimed.",
    )
    now = utcnow()
    window = timedelta(seconds=settings.job_stall_seconds)
    async with db.read() as session:
        liveness = await WorkerRepository(session).liveness(now - window, now - window)
    alive.add_metric([], liveness.workers)
    if liveness.last_heartbeat is not None:
        heartbeat.add_metric([], (now - liveness.last_heartbeat).total_seconds())
    overdue.add_metric([], liveness.overdue)
    return [alive, heartbeat, overdue]


def loop_families(loops: Iterable[LoopHealth]) -> list[Metric]:
    """This process's supervised loops: up (not failing now) and failures in a row."""
    up = GaugeMetricFamily(
        "skylight_background_loop_up",
        "1 while a background loop of this process is not failing.",
        labels=["loop"],
    )
    failures = GaugeMetricFamily(
        "skylight_background_loop_failures",
        "Failures in a row of a background loop of this process (0 when it works).",
        labels=["loop"],
    )
    for health in loops:
        up.add_metric([health.name], 0 if health.failing_since is not None else 1)
        failures.add_metric([health.name], health.failures)
    return [up, failures]


async def queue_families(db: Database) -> list[Metric]:
    """Queue depths read at scrape time: background jobs, webhook deliveries, campaign progress."""
    jobs = GaugeMetricFamily(
        "skylight_jobs", "Background jobs, by kind and state.", labels=["kind", "state"]
    )
    deliveries = GaugeMetricFamily(
        "skylight_webhook_deliveries", "Webhook deliveries to users, by state.", labels=["state"]
    )
    recipients = GaugeMetricFamily(
        "skylight_campaign_recipients",
        "Recipients of live campaigns, by campaign state and recipient state.",
        labels=["campaign_state", "recipient_state"],
    )
    async with db.sessionmaker() as session:
        for kind, state, count in await job_counts(session):
            jobs.add_metric([kind, state], count)
        for state, count in await delivery_counts(session):
            deliveries.add_metric([state], count)
        for campaign, recipient, count in await recipient_counts(session):
            recipients.add_metric([campaign, recipient], count)
    return [jobs, deliveries, recipients]


async def database_families(db: Database, settings: Settings) -> list[Metric]:
    seconds = settings.readiness_timeout_seconds
    messages = GaugeMetricFamily(
        "skylight_messages",
        "Messages stored, by direction and status (read from the database at scrape time).",
        labels=["direction", "status"],
    )
    up = GaugeMetricFamily(
        "skylight_metrics_database_up", "1 when the scrape could read the database."
    )
    try:
        async with asyncio.timeout(seconds):
            async with db.sessionmaker() as session:
                for direction, status, count in await message_counts(session):
                    messages.add_metric([direction, status], count)
            queues = await queue_families(db)
            queues += await worker_families(db, settings)
    except Exception as exc:  # the process's own metrics are still worth a scrape
        logger.warning("metrics: database not readable: %s", type(exc).__name__)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [messages, up, *queues]


class _Scrape:
    def __init__(self, base: Collector, extra: Sequence[Metric]) -> None:
        self._base = base
        self._extra = extra

    def collect(self) -> Iterable[Metric]:
        yield from self._base.collect()
        yield from self._extra


def _process_metrics(settings: Settings) -> Collector:
    if settings.prometheus_multiproc_dir is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(settings.prometheus_multiproc_dir))  # type: ignore[no-untyped-call]
    return registry


async def render(settings: Settings, db: Database, loops: Iterable[LoopHealth] = ()) -> bytes:
    extra = await database_families(db, settings) + loop_families(loops)
    return generate_latest(_Scrape(_process_metrics(settings), extra))
