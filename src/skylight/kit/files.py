"""Local state (SQLite databases, generated secrets) is readable by our own user only: the
files hold webhook signing secrets and message contents."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> None:
    """Create the directory (and missing parents) for our user only; one that exists is left
    as the operator made it."""
    missing = [p for p in [path, *path.parents] if not p.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=DIRECTORY_MODE)
            directory.chmod(DIRECTORY_MODE)  # mkdir's mode is masked by the umask


def private_sqlite_file(path: Path) -> None:
    """Before SQLite opens it: the database exists with mode 0600 (an empty file is an empty
    database), so the -wal and -shm files SQLite creates beside it take the same mode."""
    private_directory(path.parent)
    # Only ever opened here when missing: closing a descriptor of a file this process has open
    # through SQLite would drop SQLite's POSIX locks on it.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            file.chmod(FILE_MODE)
