"""Unipile's official Node SDK (``unipile-node-sdk``, response validation set to throw) driven
against the standalone simulator over every call our client makes: the simulator's answers
must pass Unipile's own schemas, and it must refuse what Unipile refuses.

The SDK is installed from tests/integrations/unipile/sdk/package-lock.json by ``make test``
(``npm ci``); without it the test skips, and fails when CI is set."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.databases import postgres_required
from tests.processes import free_port, skylight_env

SDK_DIR = Path(__file__).parent / "sdk"
KEY = "pNQnUCoZ.Zd6OsdkContractKey="


def _sdk_ready() -> None:
    missing = shutil.which("node") is None or not (SDK_DIR / "node_modules").is_dir()
    if missing:
        message = "unipile-node-sdk is not installed: `make test` runs npm ci in " + str(SDK_DIR)
        if postgres_required():  # CI=true: every suite must run
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
async def standalone_simulator(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """`skylight simulator` as its own process; its data folder comes from SKYLIGHT_DATA_DIR."""
    data_dir = tmp_path / "data"
    port = free_port()
    env = skylight_env(data_dir, SKYLIGHT_UNIPILE_API_KEY=KEY)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "skylight",
        "simulator",
        "--port",
        str(port),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(headers={"X-API-KEY": KEY}) as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    (await http.get(f"{url}/api/v1/accounts")).raise_for_status()
                    break
                except httpx.HTTPError:
                    if process.returncode is not None or time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.05)
        yield url, data_dir
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_unipile_sdk_accepts_the_simulator(standalone_simulator: tuple[str, Path]) -> None:
    _sdk_ready()
    url, data_dir = standalone_simulator
    assert (data_dir / "unipile-simulator.db").exists()  # SKYLIGHT_DATA_DIR, like the server
    # In a thread: the test's event loop keeps serving the shared app meanwhile.
    run = await asyncio.to_thread(
        subprocess.run,
        ["node", "contract.cjs"],
        cwd=SDK_DIR,
        env={**os.environ, "SIM_URL": url, "SIM_KEY": KEY},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.stdout, run.stderr
    checks = json.loads(run.stdout.strip().splitlines()[-1])["checks"]
    failed = {c["name"]: c["error"] for c in checks if not c["ok"]}
    assert failed == {}, json.dumps(failed, indent=2)
    assert run.returncode == 0, run.stderr
    # Every area of the client is covered.
    areas = {c["name"].split(":")[0] for c in checks}
    assert {"accounts", "instagram", "users", "chats", "messages", "webhooks", "errors"} <= areas
