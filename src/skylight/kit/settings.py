"""The one settings object. Nothing else in the code base reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse as parse_rate
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from skylight.kit.dsn import normalize_dsn


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SKYLIGHT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("./data")
    # Unset means a SQLite file inside data_dir.
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # The address Unipile (or the simulator) uses to reach our inbound webhook endpoint.
    public_url: str | None = None

    # Unset DSN means sandbox mode: an embedded Unipile simulator. As Unipile's dashboard shows
    # it (api8.unipile.com:13443) or as a URL (https://..., http://... for a local simulator).
    unipile_dsn: str | None = None
    unipile_api_key: SecretStr | None = None
    unipile_timeout_seconds: float = Field(default=15.0, gt=0)
    # Creating an account and solving a checkpoint log in to the provider: tens of seconds.
    unipile_auth_timeout_seconds: float = Field(default=90.0, gt=0)
    unipile_max_retries: int = Field(default=3, ge=0, le=10)
    # Shared secret Unipile sends back in a header on every webhook; generated if unset.
    unipile_webhook_secret: SecretStr | None = None

    # Sandbox mode: the Unipile simulator runs inside the server on this loopback port (0: any
    # free port), or SKYLIGHT_SANDBOX=true with a DSN pointing at `skylight simulator`.
    sandbox_external: bool = Field(default=False, alias="SKYLIGHT_SANDBOX")
    simulator_port: int = Field(default=0, ge=0, le=65535)
    simulator_connect_delay_seconds: float = Field(default=1.0, ge=0)
    simulator_webhook_retry_base_seconds: float = Field(default=2.0, gt=0)

    # Catch-up from Unipile's lists (also at start-up and when a channel returns to OK).
    reconcile_interval_seconds: float = Field(default=300.0, gt=0)

    # Database connections each process keeps open (more open briefly for a burst). Several
    # server and worker processes share PostgreSQL's max_connections (100 by default).
    database_pool_size: int = Field(default=20, ge=1, le=200)

    # Background jobs run inside each server process unless this is off (then run
    # `skylight worker` processes; on SQLite keep one process doing them).
    run_jobs_in_process: bool = True
    job_concurrency: int = Field(default=4, ge=1, le=64)
    # The most of one workspace's jobs a worker runs at once (unset: half of job_concurrency).
    job_concurrency_per_workspace: int | None = Field(default=None, ge=1, le=64)
    # A job whose worker stopped renewing it for this long is taken over (the worker is dead).
    job_lease_seconds: float = Field(default=120.0, gt=0)
    # Workers wake on new jobs and due times; this is only the fallback poll.
    job_poll_seconds: float = Field(default=5.0, gt=0)
    # /readyz fails when a job has been due this long while no worker got anything done.
    job_stall_seconds: float = Field(default=60.0, gt=0)
    # `skylight worker` exits (non-zero, for its service manager to restart it) when its
    # background loops have failed without a break for this long.
    worker_give_up_seconds: float = Field(default=600.0, gt=0)

    # Retention: what is deleted, and after how long (in batches, by a periodic job). Events
    # are what GET /events and the stream's resume can return: they cover this window.
    # (Idempotency keys go after their 24 hours, expired sign-in sessions at once.)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    retention_inbox_days: float = Field(default=7.0, gt=0)
    retention_webhook_deliveries_days: float = Field(default=7.0, gt=0)
    retention_events_days: float = Field(default=30.0, gt=0)
    retention_jobs_days: float = Field(default=7.0, gt=0)
    # Finished contact imports (their counts and row errors; their rows go when they end).
    retention_contact_imports_days: float = Field(default=30.0, gt=0)

    # Outreach campaigns. The most sends per minute on one connected account of each type (all
    # campaigns on a channel share it); a random extra wait of up to `jitter` times the interval
    # between sends; how long one send may take before its outcome is looked up at Unipile; how
    # often a waiting campaign (quiet hours, daily cap, start_at) re-checks its channel.
    campaign_rate_whatsapp_per_minute: float = Field(default=6.0, gt=0)
    campaign_rate_telegram_per_minute: float = Field(default=20.0, gt=0)
    campaign_rate_instagram_per_minute: float = Field(default=4.0, gt=0)
    campaign_jitter: float = Field(default=0.5, ge=0, le=10)
    campaign_send_timeout_seconds: float = Field(default=30.0, gt=0)
    campaign_recheck_seconds: float = Field(default=60.0, gt=0)

    # Outbound webhooks to our users: the delay before each retry (about 3 days in all),
    # whether URLs may point at private/loopback addresses (only for development: it turns off
    # the SSRF guard), the deadline of one whole attempt (lookup, connect, send and answer),
    # and how long the previous secret still signs after a rotation.
    webhook_retry_schedule_seconds: list[float] = Field(
        default=[60, 300, 900, 3600, 10800, 21600, 43200, 86400, 86400]
    )
    webhook_allow_private_urls: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_secret_grace_hours: float = Field(default=24.0, ge=0)

    # How long a known API key is remembered by a server process (0: looked up every request).
    # A key revoked in another process keeps working there for at most this long.
    api_key_cache_seconds: float = Field(default=5.0, ge=0, le=60)

    # How often an open event stream re-checks its API key or dashboard session (and ends
    # once it is revoked, signed out or expired).
    stream_recheck_seconds: float = Field(default=30.0, gt=0, le=30)

    # The largest request body, in bytes, refused with 413 before anything reads it; Unipile's
    # webhooks are small, so their endpoint takes less.
    max_request_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_unipile_webhook_body_bytes: int = Field(default=262_144, ge=1024)
    # Contacts. An inbound message whose whole text is one of these words (any case, spaces
    # around it ignored; Arabic alef/hamza forms and diacritics too) opts its sender out of
    # campaigns, or back in. Set as JSON, e.g. SKYLIGHT_OPT_OUT_KEYWORDS='["STOP","ARRET"]'.
    opt_out_keywords: list[str] = Field(
        default=["STOP", "UNSUBSCRIBE", "STOPALL", "CANCEL", "إلغاء", "ايقاف", "توقف"]
    )
    opt_in_keywords: list[str] = Field(default=["START", "اشتراك"])
    # Bulk imports (POST /contacts/imports): the most rows one may have, and the most bytes its
    # request body may have (that route's own body limit: 100,000 rows fit well within 32 MiB).
    contacts_import_max_rows: int = Field(default=100_000, ge=1, le=1_000_000)
    contacts_import_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)

    # Files (uploads for attachments, and the bytes of received ones): a private folder under
    # data_dir, or an S3-compatible bucket (required with several servers). Unset keys: the
    # store's own credential chain. Fetching a received attachment from Unipile is retried
    # after each of these delays, then it is marked unavailable. An upload no message or
    # campaign uses is deleted after `files_orphan_hours`; the sweep runs every interval.
    files_storage: Literal["local", "s3"] = "local"
    files_s3_bucket: str | None = None
    files_s3_endpoint_url: str | None = None
    files_s3_region: str = "us-east-1"
    files_s3_access_key_id: str | None = None
    files_s3_secret_access_key: SecretStr | None = None
    files_s3_prefix: str = ""
    files_fetch_retry_seconds: list[float] = Field(default=[30, 120, 600, 1800, 7200])
    files_max_received_bytes: int = Field(default=100_000_000, ge=1024)
    files_orphan_hours: float = Field(default=24.0, gt=0)
    files_sweep_interval_seconds: float = Field(default=3600.0, gt=0)

    log_level: str = "INFO"
    # json or text; unset: json in production, text in development.
    log_format: Literal["json", "text"] | None = None

    # Rate limits ("<count>/<second|minute|hour|day>"), per API key and, for presented keys
    # that are wrong, per client IP. Kept in Redis when set (shared by every process).
    rate_limit_per_key: str = "600/minute"
    rate_limit_failed_auth_per_ip: str = "20/minute"
    redis_url: str | None = None
    redis_key_prefix: str = "skylight"
    # Proxies trusted to set X-Forwarded-For (the client IP of the failed-auth limit).
    forwarded_allow_ips: str = "127.0.0.1"

    # /readyz: each check's timeout, and how long a Unipile answer is reused.
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)
    readiness_cache_seconds: float = Field(default=5.0, ge=0)
    # /metrics answers only with this bearer token; unset, /metrics is off (404).
    metrics_token: SecretStr | None = None
    # Set by `skylight serve --workers N` for its workers (prometheus_client reads it too).
    prometheus_multiproc_dir: Path | None = Field(default=None, alias="PROMETHEUS_MULTIPROC_DIR")
    # On SIGTERM, how long in-flight requests may take before the server stops anyway.
    shutdown_timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("unipile_dsn")
    @classmethod
    def _dsn(cls, value: str | None) -> str | None:
        # An empty variable is the same as none: sandbox mode.
        return normalize_dsn(value) if value and value.strip() else None

    @model_validator(mode="after")
    def _key_with_dsn(self) -> Settings:
        if self.unipile_dsn is not None and self.unipile_api_key is None:
            raise ValueError(
                "SKYLIGHT_UNIPILE_API_KEY is required with SKYLIGHT_UNIPILE_DSN: create an access "
                "token in Unipile's dashboard"
            )
        return self

    @field_validator("rate_limit_per_key", "rate_limit_failed_auth_per_ip")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)  # ValueError names the bad rate
        return value

    @property
    def resolved_log_format(self) -> Literal["json", "text"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.environment == "production" else "text"

    @property
    def sandbox(self) -> bool:
        """Sandbox helpers are on and keys are sk_test_: the upstream is a simulator."""
        return self.unipile_dsn is None or self.sandbox_external

    @property
    def embedded_simulator(self) -> bool:
        return self.unipile_dsn is None

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'skylight.db').resolve()}"

    @property
    def key_mode(self) -> Literal["live", "test"]:
        return "test" if self.sandbox else "live"


@lru_cache
def get_settings() -> Settings:
    return Settings()
