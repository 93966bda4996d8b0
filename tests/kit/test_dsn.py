"""Unipile's DSN as its dashboard shows it (host:port) or as a URL; anything else fails at
start-up with a message saying what a DSN looks like."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from skylight.integrations.unipile import UnipileClient
from skylight.kit.dsn import normalize_dsn
from skylight.kit.settings import Settings
from tests.processes import run_cli, skylight_env


@pytest.mark.parametrize(
    ("dsn", "base_url"),
    [
        ("api8.unipile.com:13443", "https://api8.unipile.com:13443"),  # the dashboard's form
        ("https://api8.unipile.com:13443", "https://api8.unipile.com:13443"),
        (" https://API8.unipile.com:13443/ ", "https://api8.unipile.com:13443"),
        ("https://api8.unipile.com:13443/api/v1", "https://api8.unipile.com:13443"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),  # a local simulator
        ("http://[::1]:8787", "http://[::1]:8787"),
    ],
)
def test_accepted_forms(dsn: str, base_url: str) -> None:
    assert normalize_dsn(dsn) == base_url
    assert Settings(unipile_dsn=dsn, unipile_api_key="k").unipile_dsn == base_url
    assert f"'{base_url}/api/v1'" in repr(UnipileClient(dsn, "key"))


@pytest.mark.parametrize(
    ("dsn", "why"),
    [
        ("ftp://api8.unipile.com:13443", "scheme"),
        ("api8.unipile.com:port", "port"),
        ("api8.unipile.com:70000", "port"),
        ("https://:13443", "host"),
        ("api8 unipile.com:13443", "host"),
        ("https://user:pw@api8.unipile.com:13443", "only a host and a port"),
        ("https://api8.unipile.com:13443/v2", "only a host and a port"),
    ],
)
def test_malformed_dsns_say_what_a_dsn_looks_like(dsn: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as caught:
        normalize_dsn(dsn)
    assert "api8.unipile.com:13443" in str(caught.value)  # the example
    with pytest.raises(ValidationError):
        Settings(unipile_dsn=dsn, unipile_api_key="k")


def test_an_empty_dsn_is_sandbox_mode() -> None:
    assert Settings(unipile_dsn="  ").sandbox


def test_the_server_refuses_to_start_with_a_malformed_dsn(tmp_path: Path) -> None:
    env = skylight_env(tmp_path, SKYLIGHT_UNIPILE_DSN="ftp://nowhere", SKYLIGHT_UNIPILE_API_KEY="k")
    started = run_cli(env, "serve")
    assert started.returncode == 2
    assert "SKYLIGHT_UNIPILE_DSN" in started.stderr
    assert "is not a Unipile DSN" in started.stderr
    assert "Traceback" not in started.stderr
