"""Writing many rows at once: COPY on PostgreSQL, one executemany elsewhere.

Batched ``INSERT … VALUES (…), (…)`` statements with thousands of parameters cost the driver more
than the database (psycopg converts each such statement anew); COPY streams the rows instead."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import JSON, Integer, String, Table
from sqlalchemy.orm import Session

EVERY = 5000


def copy_rows(session: Session, table: Table, columns: Sequence[str], rows: Iterable[tuple],
              progress: Callable[[int], None] | None = None) -> int:
    """Append ``rows`` (tuples of Python values in ``columns`` order) to ``table`` within the session's
    transaction, past the session's objects; returns how many. ``progress(done)`` is called every
    5,000 rows on PostgreSQL and at the end."""
    connection = session.connection()
    done = 0
    if connection.dialect.name == "postgresql":
        as_json = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                if as_json:
                    row = list(row)
                    for i in as_json:
                        row[i] = json.dumps(row[i])
                copy.write_row(row)
                done += 1
                if progress is not None and done % EVERY == 0:
                    progress(done)
    elif all(isinstance(table.c[name].type, (Integer, String)) for name in columns):
        # Text and numbers need no conversion: straight to the driver's executemany.
        values = list(rows)
        if values:
            connection.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) "
                                       f"VALUES ({', '.join('?' * len(columns))})", values)
        done = len(values)
    else:
        values = [dict(zip(columns, row)) for row in rows]
        if values:
            connection.execute(table.insert(), values)
        done = len(values)
    if progress is not None:
        progress(done)
    return done
