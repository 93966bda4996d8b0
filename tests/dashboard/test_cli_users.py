"""`skylight users ...` and the login the first `make run` prints, through the real command."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from skylight.kit.settings import Settings
from tests.cli_runner import skylight
from tests.dashboard.helpers import browserless, csrf_token, post_sign_in
from tests.processes import free_port, skylight_env


async def test_users_create_list_and_set_password(settings: Settings, app: FastAPI) -> None:
    created = await skylight(settings, "workspaces", "create", "Clinic")
    assert created.exit_code == 0, created.stderr
    slug = created.stdout.strip().splitlines()[-1]
    email = f"Owner-{slug}@Example.com"  # stored lower-cased

    made = await skylight(
        settings, "users", "create", "--workspace", slug, "--email", email,
        "--password", "first-password",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    again = await skylight(
        settings, "users", "create", "--workspace", slug, "--email", email.lower(),
        "--password", "other-password",
    )  # fmt: skip
    assert again.exit_code == 1
    assert "exists already" in again.stderr
    short = await skylight(
        settings, "users", "create", "--workspace", slug, "--email", "x@example.com",
        "--password", "short",
    )  # fmt: skip
    assert short.exit_code == 1
    assert "too short" in short.stderr

    listed = await skylight(settings, "users", "list", "--workspace", slug)
    assert email.lower() in listed.stdout
    assert "first-password" not in listed.stdout

    async with browserless(app) as http:
        assert (await post_sign_in(http, email, "first-password")).status_code == 303
    reset = await skylight(
        settings, "users", "set-password", "--email", email, "--password", "second-password"
    )
    assert reset.exit_code == 0, reset.stderr
    async with browserless(app) as http:
        assert (await post_sign_in(http, email, "first-password")).status_code == 401
        assert (await post_sign_in(http, email, "second-password")).status_code == 303


def _read_login(process: subprocess.Popen[str], deadline: float) -> tuple[str, str]:
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"Sign in\s+(\S+@\S+)\s+password\s+(\S+)", line)
        if found:
            return found.group(1), found.group(2)
        if time.monotonic() > deadline:
            break
    raise AssertionError("the server never printed a login")


@pytest.mark.slow
def test_the_first_start_prints_a_dashboard_login_that_works(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "skylight", "serve", "--bootstrap", "--port", str(port)],
        env=skylight_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        email, password = _read_login(process, deadline)
        assert email == "admin@example.com"
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as http:
            while True:
                try:
                    form = http.get("/dashboard/sign-in")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            signed = http.post(
                "/dashboard/sign-in",
                data={"email": email, "password": password, "csrf_token": csrf_token(form.text)},
            )
            assert signed.status_code == 303
            inbox = http.get("/dashboard/inbox")
            assert inbox.status_code == 200
            assert "Default" in inbox.text
    finally:
        process.terminate()
        process.communicate(timeout=15)
