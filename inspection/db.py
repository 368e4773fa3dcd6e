"""Engines, sessions and schema migrations. No Flask here."""
from __future__ import annotations

import zlib
from contextvars import ContextVar, Token
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
_READING: ContextVar[bool] = ContextVar("reading", default=False)


def normalise_url(url: str) -> str:
    """Accept the common ``postgres://`` / ``postgresql://`` spellings and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            # Let SQLAlchemy, not the sqlite3 module, emit BEGIN, so that SAVEPOINT works;
            # enforce foreign keys; WAL lets readers run beside one writer.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE takes the write lock up front: two writers queue on busy_timeout
            # instead of one failing when it upgrades a read transaction. A transaction that only
            # reads (``only_reading``) begins DEFERRED: under WAL it reads its snapshot beside the writer
            # and never waits for it.
            conn.exec_driver_sql("BEGIN" if _READING.get() else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # A statement run a second time on a connection is prepared (psycopg's default waits for its sixth run):
    # the server parses it once for the connection and, after a few runs, keeps a generic plan instead of
    # planning it each time. A connection the pool opens beyond its size under load, and closes when it
    # comes back, would otherwise parse and plan every statement it runs; a statement run only once (an
    # export, a report) is not prepared.
    kwargs["connect_args"] = {"prepare_threshold": 1, **kwargs.get("connect_args", {})}
    return create_engine(url, **kwargs)


def only_reading(reads: bool) -> Token:
    """Say whether the transactions this context begins from now on only read: on SQLite they then do
    not take the write lock, so a page is not kept waiting while a scan, a notice or the audit writes. A
    write in such a transaction still works (SQLite upgrades the lock) but may fail at once if another
    writer committed since its first read. Give the token back to ``reading_done``."""
    return _READING.set(reads)


def reading_done(token: Token) -> None:
    _READING.reset(token)


def reading() -> bool:
    """Whether this context's transactions only read (``only_reading``)."""
    return _READING.get()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(bind: Engine | Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["bind"] = bind
    return config


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Bring the schema to ``revision``. Given a connection, it runs inside that
    connection's transaction, so that a failed command leaves nothing behind."""
    command.upgrade(alembic_config(bind), revision)


def has_schema(bind: Engine | Connection) -> bool:
    return inspect(bind).has_table("alembic_version")


def schema_is_current(connection: Connection) -> bool:
    """Whether the database is at the newest migration of this code."""
    head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
    return MigrationContext.configure(connection).get_current_revision() == head


def serialise(session: Session, name: str) -> None:
    """Hold a lock named ``name`` until the transaction ends, so that check-then-create steps (one
    schedule build per horizon) run one at a time across processes and hosts. PostgreSQL: a
    transaction-level advisory lock; SQLite: every write transaction already begins IMMEDIATE."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("select pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(name.encode())})
