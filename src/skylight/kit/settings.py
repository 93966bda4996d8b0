"""The one settings object. Nothing else in the code base reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SKYLIGHT_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("./data")
    # Unset means a SQLite file inside data_dir.
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # The address Unipile (or the simulator) uses to reach our inbound webhook endpoint.
    public_url: str | None = None

    # Unset DSN means sandbox mode: an embedded Unipile simulator.
    unipile_dsn: str | None = None
    unipile_api_key: SecretStr | None = None
    unipile_timeout_seconds: float = Field(default=15.0, gt=0)
    unipile_max_retries: int = Field(default=3, ge=0, le=10)
    # Shared secret Unipile sends back in a header on every webhook; generated if unset.
    unipile_webhook_secret: SecretStr | None = None

    log_level: str = "INFO"

    @property
    def sandbox(self) -> bool:
        return self.unipile_dsn is None

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
