"""An S3-compatible store for the tests: moto's server, started once per session on loopback,
with a bucket of our own (the same store CI runs; no network beyond 127.0.0.1)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from skylight.kit.settings import Settings


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
