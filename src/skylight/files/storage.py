"""Where the bytes of files live, behind one small interface: a private folder under the data
directory (the embedded default, one server), or an S3-compatible bucket (several servers).

Objects are private either way: nothing here makes a public URL; bytes leave only through our
authenticated routes. Keys are ours (`<workspace>/<file id>`), never a client's file name."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import obstore
from obstore.exceptions import BaseError as ObstoreError
from obstore.exceptions import NotFoundError as ObstoreNotFound
from obstore.store import S3Store

from skylight.kit.files import FILE_MODE, private_directory
from skylight.kit.settings import Settings

_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")


class StorageError(Exception):
    """The storage failed (unreachable, refused, full): worth trying again later."""


class ObjectMissing(StorageError):
    """The storage has no object under this key."""


class Storage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes:
        """Raises ObjectMissing."""
        ...

    async def delete(self, key: str) -> None:
        """Deleting a missing object is not an error."""
        ...


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStorage:
    """A folder only our user can read (0700 folders, 0600 files). Writes go to a temporary
    name first and are renamed into place, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def _write(self, path: Path, data: bytes) -> None:
        private_directory(path.parent)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    async def put(self, key: str, data: bytes) -> None:
        try:
            await asyncio.to_thread(self._write, self._path(key), data)
        except OSError as exc:
            raise StorageError(f"cannot write {key}: {exc.strerror}") from exc

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc.strerror}") from exc

    async def delete(self, key: str) -> None:
        try:
            await asyncio.to_thread(self._path(key).unlink, missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete {key}: {exc.strerror}") from exc


class S3Storage:
    """Any S3-compatible store (AWS S3, MinIO, R2, ...) through obstore."""

    def __init__(self, store: S3Store, description: str) -> None:
        self._store = store
        self._description = description

    def __repr__(self) -> str:
        return f"S3Storage({self._description})"

    async def put(self, key: str, data: bytes) -> None:
        try:
            await obstore.put_async(self._store, _checked(key), data)
        except (OSError, ObstoreError) as exc:
            raise StorageError(f"cannot write {key}: {type(exc).__name__}") from exc

    async def get(self, key: str) -> bytes:
        try:
            result = await obstore.get_async(self._store, _checked(key))
            return bytes(await result.bytes_async())
        except (FileNotFoundError, ObstoreNotFound):
            raise ObjectMissing(key) from None
        except (OSError, ObstoreError) as exc:
            raise StorageError(f"cannot read {key}: {type(exc).__name__}") from exc

    async def delete(self, key: str) -> None:
        try:
            await obstore.delete_async(self._store, _checked(key))
        except (OSError, ObstoreError) as exc:
            raise StorageError(f"cannot delete {key}: {type(exc).__name__}") from exc


def open_storage(settings: Settings) -> Storage:
    if settings.files_storage == "local":
        return LocalStorage(settings.data_dir / "files")
    if not settings.files_s3_bucket:
        raise ValueError("SKYLIGHT_FILES_S3_BUCKET is required with SKYLIGHT_FILES_STORAGE=s3")
    secret = settings.files_s3_secret_access_key
    endpoint = settings.files_s3_endpoint_url
    config: dict[str, str | bool] = {"region": settings.files_s3_region}
    if endpoint:
        # MinIO and most self-hosted stores want path-style URLs.
        config.update(endpoint=endpoint, virtual_hosted_style_request=False)
    if settings.files_s3_access_key_id and secret is not None:
        config.update(
            access_key_id=settings.files_s3_access_key_id,
            secret_access_key=secret.get_secret_value(),
        )
    store = S3Store(
        settings.files_s3_bucket,
        prefix=settings.files_s3_prefix or None,
        client_options={
            "allow_http": bool(endpoint and endpoint.startswith("http://")),
            "connect_timeout": timedelta(seconds=10),
            "timeout": timedelta(seconds=120),
        },
        # A few quick retries: the callers retry later themselves (jobs) or answer 503.
        retry_config={"max_retries": 2, "retry_timeout": timedelta(seconds=20)},
        **config,  # type: ignore[arg-type]
    )
    where = f"bucket={settings.files_s3_bucket!r}, endpoint={endpoint or 'AWS'!r}"
    return S3Storage(store, where)
