"""The database session of the current request or command."""
from __future__ import annotations

from flask import current_app, g, has_request_context
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from inspection.operations.events import queue_at_commit, seal_at_commit
from inspection.operations.facts import refresh_after_commit


def db() -> Session:
    """The session of the current request or command, opened on first use; it seals the records it
    appends to the log when it commits (a request's session queues them, and a sealer seals them soon after:
    no request waits on the chain's head). A request's session makes oversight's facts of the visits it
    changed, and the inspection notices of the entries it recorded, after its commit (web.jobs)."""
    if "db" not in g:
        g.db = seal_at_commit(current_app.extensions["db_factory"]())
        g.db.info["web_app"] = current_app._get_current_object()   # its commits issue entry notices (web.jobs)
        if has_request_context():    # a request queues its records for the log's sealer (web.sealer)
            refresh_after_commit(queue_at_commit(g.db))
    return g.db


def discard() -> None:
    """Roll the request's session back after a database error; a dead connection cannot roll back,
    and the pool drops it."""
    session = g.get("db")
    if session is None:
        return
    try:
        session.rollback()
    except SQLAlchemyError:
        pass
