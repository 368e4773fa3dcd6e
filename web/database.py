"""One database session per request; committed at the edge when the response succeeds."""
from __future__ import annotations

from flask import Flask, g
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from inspection.db import make_engine, make_session_factory

from .errors import conflict_response, handle_database_unavailable
from .session import db

__all__ = ["db", "init_app"]


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_factory"] = make_session_factory(engine)
    app.after_request(_commit_on_success)
    app.teardown_appcontext(_close)


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
