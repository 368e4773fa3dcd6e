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

from inspection.errors import DomainError
from inspection.models import ImportRun, ScheduleRun, User
from inspection.operations.import_runs import fail_import, run_import
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


def live_progress(kind: str, run_id: int) -> tuple[float, str] | None:
    """Progress of a job running in this process, which its own transaction cannot publish yet."""
    return current_app.extensions.setdefault("job_progress", {}).get((kind, run_id))


def submit_import_run(run: ImportRun, actor: User) -> None:
    app = current_app._get_current_object()
    if app.config["JOBS"] == "inline":
        _import_inline(run, actor)
        return
    db().commit()
    threading.Thread(target=_import_in_thread, args=(app, run.id, actor.id), name=f"import-{run.id}",
                     daemon=True).start()


def _import_inline(run: ImportRun, actor: User) -> None:
    session = db()
    try:
        with session.begin_nested():
            run_import(session, run, actor)
    except DomainError as err:
        fail_import(session, run, actor, err)


def _import_in_thread(app: Flask, run_id: int, actor_id: int) -> None:
    progress_of = app.extensions.setdefault("job_progress", {})
    session = app.extensions["db_factory"]()

    def report(stage: str, done: int, total: int) -> None:
        progress_of[("import", run_id)] = (done / total if total else 1.0, f"{stage}：{done}/{total}")

    try:
        run = session.get(ImportRun, run_id)
        actor = session.get(User, actor_id)
        try:
            run_import(session, run, actor, report)
            session.commit()
        except DomainError as err:
            session.rollback()
            run = session.get(ImportRun, run_id)
            fail_import(session, run, actor, err)
            session.commit()
    except Exception as exc:  # noqa: BLE001 - the run records any failure for the page
        log.exception("import run %s failed", run_id)
        session.rollback()
        run = session.get(ImportRun, run_id)
        if run is not None:
            run.status, run.message = "failed", f"导入失败：{type(exc).__name__}: {exc}"
            session.commit()
    finally:
        progress_of.pop(("import", run_id), None)
        session.close()
