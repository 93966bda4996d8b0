"""Logging for every process: JSON lines in production, readable lines in development. Each
line carries the request id and workspace id of the request it belongs to, and no secret: API
keys and the configured secrets are scrubbed from the final text, whatever logged them."""

from __future__ import annotations

import json
import logging
import logging.config
import re
import time
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skylight.kit.request_id import request_id_var
from skylight.kit.settings import Settings

# Set by authentication (apikeys.dependencies) for the rest of the request.
workspace_id_var: ContextVar[int | None] = ContextVar("workspace_id", default=None)

_API_KEY = re.compile(r"sk_(?:live|test)_[A-Za-z0-9_-]+")
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
# Probes call these every few seconds; their access lines are DEBUG so they do not drown the rest.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

access_logger = logging.getLogger("skylight.access")


def secrets_of(settings: Settings) -> list[str]:
    """Configured secrets that must never appear in a log line."""
    found = [
        s.get_secret_value()
        for s in (settings.unipile_api_key, settings.unipile_webhook_secret, settings.metrics_token)
        if s is not None
    ]
    for url in (settings.database_url, settings.redis_url):
        password = make_url(url).password if url else None
        if password:
            found.append(str(password))
    return [s for s in found if len(s) >= 4]


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = _API_KEY.sub(lambda m: m.group(0)[:12] + "[redacted]", text)
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "workspace_id", None) is None:
            record.workspace_id = workspace_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then any extra fields."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_") and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._redact(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(context)s%(message)s")
        self._redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        ids = [
            f"{name}={value}"
            for name, value in (
                ("req", getattr(record, "request_id", None)),
                ("ws", getattr(record, "workspace_id", None)),
            )
            if value is not None
        ]
        record.context = f"[{' '.join(ids)}] " if ids else ""
        return self._redact(super().format(record))


def logging_config(settings: Settings) -> dict[str, Any]:
    """A dictConfig for our loggers and uvicorn's (uvicorn applies it in every worker)."""
    level = settings.log_level.upper()
    formatter = "json" if settings.resolved_log_format == "json" else "text"
    secrets = secrets_of(settings)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {
            "json": {"()": JsonFormatter, "secrets": secrets},
            "text": {"()": TextFormatter, "secrets": secrets},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": formatter,
                "filters": ["context"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            # Replaced by skylight.access, which knows the request and workspace ids.
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            # httpx logs every upstream URL at INFO; our transport logs what matters.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
            # Every readiness probe reads the migration state; alembic says so at INFO.
            "alembic.runtime.migration": {"level": "WARNING"},
        },
    }


def configure_logging(settings: Settings) -> None:
    """For processes uvicorn does not configure (e.g. `skylight worker`)."""
    logging.config.dictConfig(logging_config(settings))


class AccessLogMiddleware:
    """One line per request: method, path (never the query string), status, duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        token = workspace_id_var.set(None)

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            workspace_id_var.reset(token)
            _log_access(scope, status, time.perf_counter() - started)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    path: str = scope["path"]
    level = logging.DEBUG if path in _QUIET_PATHS and status < 500 else logging.INFO
    if not access_logger.isEnabledFor(level):
        return
    state = scope.get("state", {})
    client = scope.get("client")
    duration_ms = round(seconds * 1000, 1)
    access_logger.log(
        level,
        "%s %s %s %.1fms",
        scope["method"],
        path,
        status,
        duration_ms,
        extra={
            "method": scope["method"],
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "client": client[0] if client else None,
            "request_id": state.get("request_id"),
            "workspace_id": state.get("workspace_id"),
        },
    )
