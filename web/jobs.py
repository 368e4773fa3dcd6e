"""Running long jobs (schedule builds) outside requests, with progress the pages poll.

``thread`` (default) runs each job in a background thread with its own session and
commits its progress as it goes; ``inline`` runs it within the request that asked for
it (tests, where every request shares one rolled-back connection).
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from inspection.models import ScheduleRun
from inspection.operations.schedules import (BuildOptions, execute_run, fail_run, prepare_run, solve_adapted,
                                             store_run)

from .database import db

log = logging.getLogger(__name__)


def options_from(app: Flask) -> BuildOptions:
    return BuildOptions(time_limit=app.config["SCHEDULE_TIME_LIMIT"], workers=app.config["SCHEDULE_WORKERS"])


def submit_schedule_run(run: ScheduleRun) -> None:
    """Start the run. Call after the run's row is committed (thread mode)."""
    app = current_app._get_current_object()
    if app.config["JOBS"] == "inline":
        execute_run(db(), run, options_from(app))
        return
    db().commit()
    threading.Thread(target=_run_in_thread, args=(app, run.id), name=f"schedule-{run.id}", daemon=True).start()


def _run_in_thread(app: Flask, run_id: int) -> None:
    session = app.extensions["db_factory"]()
    try:
        run = session.get(ScheduleRun, run_id)
        if run is None or run.status != "queued":
            return
        options = options_from(app)
        adapted = prepare_run(session, run, options)
        session.commit()
        last = [0.0]

        def report(fraction: float, message: str) -> None:
            now = time.monotonic()
            if now - last[0] < 0.5 and fraction < 1:
                return
            last[0] = now
            run.progress, run.message = round(0.05 + 0.9 * fraction, 3), message
            session.commit()

        solution = solve_adapted(adapted, options, run.id, report)
        store_run(session, run, adapted, solution)
        session.commit()
    except Exception as exc:  # noqa: BLE001 - the run records any failure for the page
        log.exception("schedule run %s failed", run_id)
        session.rollback()
        run = session.get(ScheduleRun, run_id)
        if run is not None:
            fail_run(session, run, f"排程失败：{type(exc).__name__}: {exc}")
            session.commit()
    finally:
        session.close()
