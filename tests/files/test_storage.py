"""Both stores behave alike: a private folder, and an S3-compatible bucket (moto's server)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from skylight.files.storage import LocalStorage, ObjectMissing, Storage, StorageError, open_storage
from skylight.kit.settings import Settings
from tests.files.conftest import S3Server
from tests.processes import free_port


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    base = Settings(data_dir=tmp_path)
    if request.param == "local":
        return open_storage(base)
    server: S3Server = request.getfixturevalue("s3_server")
    return open_storage(server.settings(base, server.new_bucket()))


async def test_put_get_delete(storage: Storage) -> None:
    await storage.put("7/file_abc", b"\x00bytes\xff")
    assert await storage.get("7/file_abc") == b"\x00bytes\xff"
    await storage.put("7/file_abc", b"replaced")
    assert await storage.get("7/file_abc") == b"replaced"
    await storage.delete("7/file_abc")
    with pytest.raises(ObjectMissing):
        await storage.get("7/file_abc")
    await storage.delete("7/file_abc")  # deleting what is gone is fine


async def test_keys_are_ours_never_paths(storage: Storage) -> None:
    for key in ("../etc/passwd", "/abs", "a/../b", "a//b", "a b"):
        with pytest.raises(ValueError, match="not a storage key"):
            await storage.put(key, b"x")


async def test_the_local_folder_is_private(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    await storage.put("3/file_x", b"secret photo")
    path = tmp_path / "files" / "3" / "file_x"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["file_x"]  # no temporary left


async def test_an_unreachable_s3_store_is_a_storage_error(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        data_dir=tmp_path,
        files_storage="s3",
        files_s3_bucket="nowhere",
        files_s3_endpoint_url=dead,
        files_s3_access_key_id="k",
        files_s3_secret_access_key="s",
    )
    storage = open_storage(settings)
    with pytest.raises(StorageError):
        await storage.put("1/file_x", b"x")
