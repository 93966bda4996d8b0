from __future__ import annotations

import pytest
from fastapi import FastAPI

from skylight.kit.db import Database


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database
