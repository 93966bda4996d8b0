"""What `make run` does: a real server process on a fresh data directory."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import free_port, skylight_env

pytestmark = pytest.mark.slow


def _wait_for_key(process: subprocess.Popen[str], deadline: float) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"(sk_test_[A-Za-z0-9_-]+)", line)
        if found:
            return found.group(1)
        if time.monotonic() > deadline:
            break
    raise AssertionError("the server never printed a key")


def _wait_ready(base: str, key: str, deadline: float) -> httpx.Response:
    while True:
        try:
            return httpx.get(f"{base}/api/v1/contacts", headers={"X-Api-Key": key}, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_first_start_creates_a_workspace_and_prints_a_working_key(tmp_path: Path) -> None:
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
        key = _wait_for_key(process, deadline)
        base = f"http://127.0.0.1:{port}"
        by_header = _wait_ready(base, key, deadline)
        by_bearer = httpx.get(
            f"{base}/api/v1/contacts", headers={"Authorization": f"Bearer {key}"}, timeout=5
        )
        assert by_header.status_code == by_bearer.status_code == 200
        assert by_header.json()["meta"]["total"] == 0
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
        assert (tmp_path / "skylight.db").exists()
    finally:
        process.terminate()
        process.communicate(timeout=15)
