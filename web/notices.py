"""Sending notices (通知) from the outbox: by the ``send-notices`` command, by ``inspection worker``
processes every few seconds, or, with the default ``thread`` jobs, by a background thread of the web process
that also wakes after each write.

Each notice is locked while it is sent (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so that several senders
share the work) and committed right after, so that it is sent once.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref

from flask import Flask, current_app, g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from inspection.db import serialise
from inspection.delivery import HttpTextSender, SmtpMailer
from inspection.models import Notice
from inspection.operations.notices import claim, due_notices, record_attempt, remind, send

log = logging.getLogger(__name__)

REMIND_INTERVAL = 300.0   # seconds between two sweeps for reminders that come with the days


def mailer_of(app: Flask) -> SmtpMailer | None:
    if not app.config["MAIL_SERVER"]:
        return None
    return SmtpMailer(app.config["MAIL_SERVER"], app.config["MAIL_PORT"], app.config["MAIL_FROM"],
                      username=app.config["MAIL_USERNAME"], password=app.config["MAIL_PASSWORD"],
                      security=app.config["MAIL_SECURITY"], timeout=app.config["MAIL_TIMEOUT"])


def texts_of(app: Flask) -> HttpTextSender | None:
    if not app.config["SMS_GATEWAY_URL"]:
        return None
    return HttpTextSender(app.config["SMS_GATEWAY_URL"], app.config["SMS_GATEWAY_TOKEN"],
                          timeout=app.config["MAIL_TIMEOUT"])


def send_due(app: Flask, session: Session, *, limit: int = 200) -> dict[str, int]:
    """Send the notices due now, one at a time: each is claimed in a transaction, sent with none open, and
    what came of it written in another; returns how many went each way."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "none": 0}
    mailer, texts = mailer_of(app), texts_of(app)
    ids = session.scalars(due_notices(clock.now(), limit)).all()
    session.commit()        # not a rollback: on PostgreSQL that drops every statement the connection prepared
    for notice_id in ids:
        notice = session.scalar(select(Notice).where(Notice.id == notice_id, Notice.next_attempt_at <= clock.now())
                                .with_for_update(skip_locked=True))
        if notice is None:      # another sender has it, or sent it meanwhile
            session.rollback()
            continue
        outgoing = claim(session, notice, base_url=app.config["PUBLIC_URL"])
        session.commit()        # the servers are asked with no transaction open: no writer waits on them
        outcome = send(outgoing, mailer=mailer, texts=texts)
        notice = session.get(Notice, notice_id)
        state = record_attempt(session, notice, outcome)
        session.commit()
        counts[state] += 1
        if state == "retry":
            log.warning("notice %s not delivered, tried again later: %s", notice_id, notice.last_error)
    return counts


def remind_now(session: Session) -> int:
    """Write the reminders that fall due with the days (serialised: two senders write each once)."""
    serialise(session, "notice-reminders")
    written = remind(session, clock.today())
    session.commit()
    return written


# -- The background sender ------------------------------------------------------------------------------

_apps: weakref.WeakSet[Flask] = weakref.WeakSet()   # apps of this process whose sender has started


def _state(app: Flask) -> dict:
    return app.extensions.setdefault("notice_sender", {"lock": threading.Lock(), "wake": threading.Event(),
                                                       "thread": None, "stop": threading.Event()})


def start_sender(app: Flask) -> threading.Thread | None:
    """Start the sending loop in a daemon thread of this process, once."""
    state = _state(app)
    with state["lock"]:
        if state["thread"] is not None and state["thread"].is_alive():
            return state["thread"]
        state["stop"].clear()
        state["thread"] = threading.Thread(target=_loop, args=(app, state), name="notices", daemon=True)
        state["thread"].start()
        _apps.add(app)
        return state["thread"]


def stop_sender(app: Flask) -> None:
    state = _state(app)
    state["stop"].set()
    state["wake"].set()
    if state["thread"] is not None:
        state["thread"].join(timeout=10)
        state["thread"] = None


def stop_all_senders() -> None:
    """Stop the sender of every app of this process (an app's next write starts its own again)."""
    for app in list(_apps):
        stop_sender(app)
    _apps.clear()


def wake_sender(app: Flask) -> None:
    _state(app)["wake"].set()


def _loop(app: Flask, state: dict) -> None:
    last_remind = -1e9
    while not state["stop"].is_set():
        try:
            with app.extensions["db_factory"]() as session:
                if time.monotonic() - last_remind >= REMIND_INTERVAL:
                    last_remind = time.monotonic()
                    remind_now(session)
                send_due(app, session)
        except Exception:  # noqa: BLE001 - logged (the database may be away); the next round tries again
            log.exception("sending notices failed")
        state["wake"].wait(app.config["NOTICE_INTERVAL"])
        state["wake"].clear()


def _after_request(response):
    if current_app.config["NOTICE_SENDER_WEB"]:
        g.notices_due = request.method != "GET"
    return response


def _teardown(exc) -> None:
    due = g.pop("notices_due", None)
    if due is None:
        return
    app = current_app._get_current_object()
    start_sender(app)
    if due and exc is None:
        wake_sender(app)


def init_app(app: Flask) -> None:
    """With ``thread`` jobs the web process sends notices itself: its sender starts with the first request
    and wakes after each write (``INSPECTION_NOTICE_SENDER=0`` leaves sending to cron's ``send-notices``). With ``rq`` jobs the
    ``inspection worker`` processes send them."""
    setting = app.config.get("NOTICE_SENDER")
    app.config["NOTICE_SENDER_WEB"] = app.config["JOBS"] == "thread" if setting is None else setting
    app.after_request(_after_request)
    app.teardown_request(_teardown)
