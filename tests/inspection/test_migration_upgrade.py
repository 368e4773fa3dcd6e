"""Migrations upgrade a populated database from the first revision to head without loss.

A city with history is built at head and dumped. A fresh database is then taken up one revision at a
time from the first; at each revision every table that now exists for the first time receives the
dumped rows, in the columns that revision has. Tables that a migration fills by itself (the entry
facts backfilled from visits) are left to it. At head every row must be there with every value it
was given, the backfilled tables must equal what the platform computes, and the event log's chain
must still verify."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from inspection.db import alembic_config, make_engine, make_session_factory, upgrade
from inspection.demo.city import build_demo_city
from inspection.models import Base
from inspection.operations.events import verify_chain
from tests.backends import fresh_database

SEEDED = {"event_head"}  # the first migration writes its starting row

pytestmark = pytest.mark.own_database  # makes its own SQLite and PostgreSQL databases


def _dump(engine) -> dict[str, list[dict]]:
    with engine.connect() as connection:
        return {table.name: [dict(row._mapping) for row in connection.execute(select(table))]
                for table in Base.metadata.sorted_tables}


def _normal(value):
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, (dict, list)):
        return json.loads(json.dumps(value, sort_keys=True, default=str))
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_populated_database_upgrades_from_the_first_revision_to_head(kind, tmp_path):  # noqa: C901 - to split
    (tmp_path / "source").mkdir()
    (tmp_path / "target").mkdir()
    with fresh_database(kind, tmp_path / "source") as source_url:
        source = make_engine(source_url)
        upgrade(source)
        with make_session_factory(source)() as session:
            build_demo_city(session, seed=11, firms=120)
            session.commit()
        dump = _dump(source)
        source.dispose()
    populated = {name for name, rows in dump.items() if rows}
    assert {"firms", "visits", "visit_entries", "findings", "evaluations", "events", "entry_facts"} <= populated

    with fresh_database(kind, tmp_path / "target") as url:
        engine = make_engine(url)
        script = ScriptDirectory.from_config(alembic_config(engine))
        revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
        pending = {name: list(rows) for name, rows in dump.items()}
        loaded: dict[str, list[tuple[list[str], dict]]] = {}  # rows with the columns they were given
        backfilled: dict[str, list[str]] = {}  # with the columns it had then
        for revision in revisions:
            upgrade(engine, revision)
            reflected = MetaData()
            reflected.reflect(engine)
            with engine.begin() as connection:
                for model_table in Base.metadata.sorted_tables:
                    name = model_table.name
                    if name in backfilled or name not in reflected.tables or not pending[name]:
                        continue
                    table = reflected.tables[name]
                    if name in SEEDED and name not in loaded:
                        connection.execute(table.delete())  # its one row follows the copied log instead
                    elif name not in loaded and connection.scalar(select(func.count()).select_from(table)):
                        backfilled[name] = [c.name for c in table.columns]  # filled from what was there
                        continue
                    columns = [c.name for c in table.columns if c.name in model_table.columns]
                    required = [c.name for c in table.columns if not c.nullable and c.server_default is None
                                and c.autoincrement is not True]
                    gone = [c for c in required if c not in model_table.columns]
                    assert not gone, f"{revision}: {name} has required columns gone at head: {gone}"
                    # Rows this revision's schema cannot hold yet (a later feature's) wait for the revision
                    # that admits them.
                    fits = [row for row in pending[name] if all(row[c] is not None for c in required)]
                    later = [row for row in pending[name] if not all(row[c] is not None for c in required)]
                    kept = []
                    for chunk in (fits[i:i + 500] for i in range(0, len(fits), 500)):
                        try:
                            with connection.begin_nested():
                                connection.execute(insert(table), [{c: row[c] for c in columns} for row in chunk])
                            kept += [(list(columns), row) for row in chunk]
                        except IntegrityError:
                            for row in chunk:
                                try:
                                    with connection.begin_nested():
                                        connection.execute(insert(table), {c: row[c] for c in columns})
                                    kept.append((list(columns), row))
                                except IntegrityError:
                                    later.append(row)
                    loaded.setdefault(name, []).extend(kept)
                    pending[name] = later
                for name, rows in loaded.items():
                    # Columns this revision added to rows already here: where the migration left them
                    # empty or at their default, they get what the platform wrote at head, as if the new
                    # code had run since.
                    table, model_table = reflected.tables[name], Base.metadata.tables[name]
                    key = [c.name for c in model_table.primary_key.columns]
                    for columns, row in rows:
                        new = [c.name for c in table.columns if c.name in model_table.columns and c.name not in columns
                               and row[c.name] is not None]
                        if not new:
                            continue
                        where = [table.c[k] == row[k] for k in key]
                        current = connection.execute(select(*[table.c[c] for c in new]).where(*where)).one()
                        empty = [c for c, value in zip(new, current)
                                 if value is None or table.c[c].server_default is not None]
                        if empty:
                            connection.execute(update(table).where(*where).values({c: row[c] for c in empty}))
                        columns.extend(empty)
                if connection.dialect.name == "postgresql":  # ids go on after the copied rows
                    for name in loaded:
                        if "id" in reflected.tables[name].columns:
                            connection.exec_driver_sql(
                                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"(SELECT max(id) FROM {name}))")
        left = {name: len(rows) for name, rows in pending.items() if rows and name not in backfilled}
        assert not left, f"rows that no revision could hold: {left}"
        upgraded = _dump(engine)
        for name, rows in loaded.items():
            key = [c.name for c in Base.metadata.tables[name].primary_key.columns]
            after = {tuple(row[k] for k in key): row for row in upgraded[name]}
            assert len(after) == len(dump[name]), f"rows of {name} lost or added"
            for columns, row in rows:
                pk = tuple(row[k] for k in key)
                for column in columns:
                    assert _normal(after[pk][column]) == _normal(row[column]), (name, pk, column)
        for name, columns in backfilled.items():  # what the migration computed is what the platform computes
            migrated = sorted(tuple(_normal(r[c]) for c in columns) for r in upgraded[name])
            computed = sorted(tuple(_normal(r[c]) for c in columns) for r in dump[name])
            assert migrated == computed, f"{name} backfilled differently"
        assert "entry_facts" in backfilled  # 0010 builds the facts of the visits already there
        with make_session_factory(engine)() as session:
            ok, *_ = verify_chain(session)
            assert ok
        engine.dispose()
