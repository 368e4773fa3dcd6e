"""Throw-away databases for tests that need committed data and several connections at once:
a SQLite file, or a schema of its own on the PostgreSQL server (PG_TEST_URL, default the machine's
127.0.0.1:5432/test). Without a server the PostgreSQL cases skip with a one-line reason, unless
INSPECTION_REQUIRE_ALL=1 (as in .ci/run)."""
from __future__ import annotations

import contextlib
import os
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from inspection.db import make_engine

PG_URL = os.environ.get("PG_TEST_URL", "postgresql://postgres:postgres@127.0.0.1:5432/test")


def pg_or_skip() -> None:
    engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = f"no PostgreSQL server answers at {PG_URL.split('@')[-1]}: {type(exc.orig).__name__}"
        if os.environ.get("INSPECTION_REQUIRE_ALL") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        engine.dispose()


@contextlib.contextmanager
def fresh_database(kind: str, tmp_path):
    """The URL of an empty database of ``kind`` ("sqlite" or "postgresql"), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    pg_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
