"""Alembic environment: runs on the engine the platform hands over, or on DATABASE_URL."""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from inspection.db import make_engine
from inspection.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    bind = config.attributes.get("bind") or make_engine(os.environ["DATABASE_URL"])
    if isinstance(bind, Connection):
        _run(bind)  # the caller owns the transaction and commits it
        return
    with bind.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a SQLite table by copying it, dropping the old one and renaming
            # the copy; with foreign keys enforced, dropping a table that other rows point at fails.
            # The switch only works outside a transaction, so it goes to the driver's connection first,
            # and the keys are checked once the migrations are done.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            _run(connection)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"迁移后外键不一致：{broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


run_migrations_online()
