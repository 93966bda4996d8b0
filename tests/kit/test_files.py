"""Local state is for our user only: the data folder 0700, SQLite files and their WAL 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from skylight.kit.db import create_engine
from skylight.kit.files import private_sqlite_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # what makes files 0644 and folders 0755 by default
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
async def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data" / "nested"
    engine = create_engine(f"sqlite+aiosqlite:///{data / 'skylight.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE secrets (value TEXT)"))
            await connection.execute(text("INSERT INTO secrets VALUES ('whsec_x')"))
        files = sorted(p.name for p in data.iterdir())
        assert files == ["skylight.db", "skylight.db-shm", "skylight.db-wal"]
        assert {p.name: mode(p) for p in data.iterdir()} == dict.fromkeys(files, 0o600)
        assert mode(data) == mode(data.parent) == 0o700
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("usual_umask")
async def test_an_existing_database_made_readable_by_others_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "skylight.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
    finally:
        await engine.dispose()
    assert mode(path) == 0o600


def test_an_existing_database_is_never_opened_by_us(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing any descriptor of a file drops every POSIX lock this process holds on it, so
    SQLite's own locks of a live database (the app's, while a CLI command or a test makes a
    second engine) would vanish: a live file is only ever chmod-ed."""
    path = tmp_path / "skylight.db"
    path.touch()
    opened: list[str] = []
    real_open = os.open

    def watched(file: str | os.PathLike[str], flags: int, mode: int = 0o777) -> int:
        descriptor = real_open(file, flags, mode)  # O_EXCL on an existing file opens nothing
        opened.append(os.fspath(file))
        return descriptor

    monkeypatch.setattr(os, "open", watched)
    private_sqlite_file(path)
    assert opened == []
    assert mode(path) == 0o600
