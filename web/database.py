"""One database session per request; committed at the edge when the response succeeds."""
from __future__ import annotations

import re

from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from inspection.db import make_engine, make_session_factory, only_reading, reading, reading_done

from .errors import conflict_response, handle_database_unavailable
from .session import db

__all__ = ["db", "init_app", "writes_when_read"]


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_factory"] = make_session_factory(engine)
    app.before_request(_choose_transaction)
    app.teardown_request(_transaction_chosen)
    app.after_request(_commit_on_success)
    if app.testing:
        event.listen(engine, "before_cursor_execute", _refuse_writes_when_reading)
    app.teardown_appcontext(_close)


def writes_when_read(view):
    """Mark a view that writes although asked with GET (it brings what it shows up to date): its
    request's transactions are a writer's, like a POST's. Other GETs read without the write lock."""
    view.writes_when_read = True
    return view


def _choose_transaction() -> None:
    """A GET or HEAD reads (on SQLite without waiting for a writer), unless its view is marked
    ``writes_when_read``."""
    view = current_app.view_functions.get(request.endpoint)
    g.reading = only_reading(request.method in ("GET", "HEAD") and not getattr(view, "writes_when_read", False))


def _transaction_chosen(_exc) -> None:
    token = g.pop("reading", None)
    if token is not None:
        reading_done(token)


_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def _refuse_writes_when_reading(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    # Under test, a GET that writes without its mark fails loudly instead of racing other writers.
    if reading() and _WRITE.match(statement):
        raise AssertionError(f"{request.method} {request.path} wrote without writes_when_read: {statement[:60]}")


def _commit_on_success(response):
    session = g.get("db")
    if session is None:
        return response
    if response.status_code >= 400:
        session.rollback()
        return response
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return conflict_response()
    except (OperationalError, InterfaceError) as error:
        # The database went away during the commit: after_request errors reach no error handler (they
        # would answer 500), so the 503 is answered here.
        return handle_database_unavailable(error)
    return response


def _close(exc):
    session = g.pop("db", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
