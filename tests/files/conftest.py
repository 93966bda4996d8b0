"""An S3-compatible store for the tests: moto's server, started once per session on loopback,
with a bucket of our own (the same store CI runs; no network beyond 127.0.0.1)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from skylight.app import create_app
from skylight.kit.db import create_engine
from skylight.kit.migrations import upgrade
from skylight.kit.settings import Settings
from tests.databases import (
    PostgresUnavailable,
    fresh_postgres_database,
    postgres_required,
    sqlite_url,
)
from tests.processes import free_port
from tests.servers import serve_in_loop


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key_id: str = "test-key"
    secret_access_key: str = "test-secret"

    def new_bucket(self) -> str:
        name = f"skylight-{secrets.token_hex(4)}"
        httpx.put(f"{self.endpoint}/{name}").raise_for_status()
        return name

    def settings(self, base: Settings, bucket: str) -> Settings:
        return base.model_copy(
            update={
                "files_storage": "s3",
                "files_s3_bucket": bucket,
                "files_s3_endpoint_url": self.endpoint,
                "files_s3_access_key_id": self.access_key_id,
                "files_s3_secret_access_key": SecretStr(self.secret_access_key),
            }
        )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def s3_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A database of its own: the S3 app's jobs must not be taken by the shared app's worker
    (whose files are in a folder)."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("s3-sqlite"))
        await _migrate(url)
        yield url
        return
    try:
        async with fresh_postgres_database() as url:
            await _migrate(url)
            yield url
    except PostgresUnavailable as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (CI=true) but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")


@pytest.fixture(scope="session")
async def s3_app(
    s3_server: S3Server, s3_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    """The app as a several-server deployment runs it: files in an S3-compatible bucket."""
    port = free_port()
    base = Settings(
        database_url=s3_database_url,
        data_dir=tmp_path_factory.mktemp("s3-data"),
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        simulator_connect_delay_seconds=0.2,
        simulator_webhook_retry_base_seconds=0.05,
        rate_limit_per_key="100000/minute",
        rate_limit_failed_auth_per_ip="100000/minute",
    )
    application = create_app(s3_server.settings(base, s3_server.new_bucket()))
    async with serve_in_loop(application, port):
        yield application
