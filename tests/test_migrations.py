"""The schema comes from the migrations; the models must describe exactly that schema."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from skylight.kit.db import create_engine
from skylight.kit.migrations import is_current
from skylight.models import Base

pytestmark = pytest.mark.both_databases


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
        assert diff == [], f"models and migrations differ; generate a revision: {diff}"
        assert await is_current(engine)
    finally:
        await engine.dispose()
