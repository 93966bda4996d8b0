"""The embedded simulator runs as a second uvicorn server inside the process: its start and stop
lines would repeat the server's own (they share uvicorn's logger), so it keeps them to itself."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from skylight.kit.settings import Settings
from skylight.upstream import embedded_simulator


async def test_the_embedded_simulator_prints_no_start_or_stop_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="uvicorn.error")
    async with embedded_simulator(Settings(data_dir=tmp_path), "key") as url:
        assert url.startswith("http://127.0.0.1:")
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.error"]
    assert lines == []
    # uvicorn's lines of any other server still get through.
    logging.getLogger("uvicorn.error").info("Started server process [1]")
    assert [r.getMessage() for r in caplog.records] == ["Started server process [1]"]
