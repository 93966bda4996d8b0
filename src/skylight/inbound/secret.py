"""The shared secret Unipile echoes in a header on every webhook (Unipile has no signatures)."""

from __future__ import annotations

import functools
import hmac
import os
import secrets
from pathlib import Path

from skylight.kit.files import private_directory
from skylight.kit.settings import Settings

HEADER = "Unipile-Auth"
_FILE = "unipile-webhook-secret"


def webhook_secret(settings: Settings) -> str:
    """From the settings, or generated once and kept in the data directory (mode 0600).

    Several processes on different machines must share it: set SKYLIGHT_UNIPILE_WEBHOOK_SECRET."""
    if settings.unipile_webhook_secret is not None:
        return settings.unipile_webhook_secret.get_secret_value()
    return _kept(Path(settings.data_dir).resolve())


@functools.cache
def _kept(data_dir: Path) -> str:
    """Read (or made) once per process: every webhook asks, and it changes only with a new
    data directory (Unipile is told it at start-up)."""
    path = data_dir / _FILE
    if path.exists():
        return path.read_text().strip()
    private_directory(path.parent)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
