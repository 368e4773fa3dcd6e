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
        _run(connection)
        connection.commit()


run_migrations_online()
