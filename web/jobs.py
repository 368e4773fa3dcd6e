"""Running long jobs (schedule builds, imports, risk model training) outside requests, with progress the
pages poll.

``thread`` (the default without ``REDIS_URL``) runs each job in a background thread of the web
process with its own session and commits its progress as it goes; ``inline`` runs it within the
request that asked for it (tests, where every request shares one rolled-back connection); ``rq``
(the default with ``REDIS_URL``) puts schedule builds on an RQ queue in Redis, run by
``inspection worker`` processes on any host that reaches the database: the run's row carries its
progress, so every web worker shows it. If Redis does not answer when a build is submitted, the
build runs in a thread here instead, and the log says so.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app, g, request
from flask_login import current_user
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import clock
from inspection.db import serialise
from inspection.errors import DomainError
from inspection.models import ImportRun, RiskModel, ScheduleRun, User
from inspection.operations import facts
from inspection.operations.alerts import refresh_alerts
from inspection.operations.entry_notices import issue_due, take_due
from inspection.operations.events import QUEUED, seal_all_queued, seal_pending
from inspection.operations.import_runs import fail_import, run_import
from inspection.operations.risk import fail_training, train
from inspection.operations.schedules import (
    BuildOptions,
    execute_run,
    fail_run,
    prepare_run,
    progress_label,
    solve_adapted,
    store_run,
)

from .database import db
from .notices import start_sender
from .sealer import wake_sealer

log = logging.getLogger(__name__)

# What an RQ worker runs for a queued schedule build, by its dotted path (see web/worker.py).
SCHEDULE_JOB = "web.worker.run_schedule_job"
AFTER_ENTRY_JOB = "web.worker.run_after_entry_job"


def options_from(app: Flask) -> BuildOptions:
    return BuildOptions(time_limit=app.config["SCHEDULE_TIME_LIMIT"], workers=app.config["SCHEDULE_WORKERS"])


def _start(name: str, work, on_crash, *args) -> None:
    """Run ``work(app, session, *args)`` in a daemon thread with its own session. The request's own
    work is committed first, so the thread sees the queued run; an unexpected failure is logged and
    handed to ``on_crash(session, message, *args)`` so that the page can say what happened."""
    app = current_app._get_current_object()
    db().commit()
    threading.Thread(target=_guarded, args=(app, name, work, on_crash, *args), name=name, daemon=True).start()


def _guarded(app: Flask, name: str, work, on_crash, *args) -> None:
    session = app.extensions["db_factory"]()
    try:
        work(app, session, *args)
    except Exception:  # noqa: BLE001 - the run records any failure for the page
        log.exception("%s failed", name)
        session.rollback()
        on_crash(session, "系统内部错误，详情已记入服务器日志；请稍后重试，仍失败请联系系统管理员", *args)
        session.commit()
    finally:
        session.close()


def queue_of(app: Flask) -> Queue:
    return Queue(app.config["JOBS_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2))


def submit_schedule_run(run: ScheduleRun) -> None:
    """Start the run: in the request (inline), on the RQ queue, or in a background thread."""
    app = current_app._get_current_object()
    if app.config["JOBS"] == "inline":
        execute_run(db(), run, options_from(app))
        return
    if app.config["JOBS"] == "rq":
        run.message = "已进入后台任务队列，等待任务进程处理"
        db().commit()  # the worker must find the queued run
        try:
            # Job ids are global in Redis: cities sharing one Redis (each on its own queue) keep theirs apart.
            queue_of(app).enqueue(SCHEDULE_JOB, run.id, job_id=f"{app.config['JOBS_QUEUE']}-schedule-{run.id}",
                                  job_timeout=int(app.config["SCHEDULE_TIME_LIMIT"] * 3 + 600),
                                  description=f"排程任务 {run.id}")
            return
        except RedisError as exc:
            log.warning("job queue unavailable (%s): schedule run %s runs in this process", exc, run.id)
    _start(f"schedule-{run.id}", _schedule, _schedule_crashed, run.id)


def run_schedule(app: Flask, run_id: int) -> None:
    """Build one queued run on ``app`` with its own session (the worker's job, ``web.worker``)."""
    _guarded(app, f"schedule-{run_id}", _schedule, _schedule_crashed, run_id)


def __getattr__(name: str):
    """Jobs queued before the worker's side moved to ``web.worker`` name ``web.jobs.run_schedule_job``:
    RQ still finds it here."""
    if name == "run_schedule_job":
        from .worker import run_schedule_job
        return run_schedule_job
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _schedule(app: Flask, session, run_id: int) -> None:
    # The row lock makes the build run once, however many workers were handed the run.
    run = session.get(ScheduleRun, run_id, with_for_update=True)
    if run is None or run.status != "queued":
        session.rollback()
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
        run.progress, run.message = round(0.05 + 0.9 * fraction, 3), progress_label(message)
        session.commit()

    store_run(session, run, adapted, solve_adapted(adapted, options, run.id, report))
    session.commit()


def _schedule_crashed(session, message: str, run_id: int) -> None:
    run = session.get(ScheduleRun, run_id)
    if run is not None:
        fail_run(session, run, f"排程失败：{message}")


def live_progress(kind: str, run_id: int) -> tuple[float, str] | None:
    """Progress of a job running in this process, which its own transaction cannot publish yet."""
    return current_app.extensions.setdefault("job_progress", {}).get((kind, run_id))


def submit_import_run(run: ImportRun, actor: User) -> None:
    app = current_app._get_current_object()
    if app.config["JOBS"] == "inline":
        session = db()
        try:
            with session.begin_nested():
                run_import(session, run, actor)
        except DomainError as err:
            fail_import(session, run, actor, err)
        return
    _start(f"import-{run.id}", _import, _import_crashed, run.id, actor.id)


def _import(app: Flask, session, run_id: int, actor_id: int) -> None:
    progress_of = app.extensions.setdefault("job_progress", {})

    def report(stage: str, done: int, total: int) -> None:
        progress_of[("import", run_id)] = (done / total if total else 1.0, f"{stage}：{done}/{total}")

    run, actor = session.get(ImportRun, run_id), session.get(User, actor_id)
    try:
        run_import(session, run, actor, report)
        session.commit()
    except DomainError as err:
        session.rollback()
        fail_import(session, session.get(ImportRun, run_id), actor, err)
        session.commit()
    finally:
        progress_of.pop(("import", run_id), None)


def _import_crashed(session, message: str, run_id: int, actor_id: int) -> None:
    run = session.get(ImportRun, run_id)
    if run is not None:
        run.status, run.message = "failed", f"导入失败：{message}"


def submit_risk_training(model: RiskModel, actor: User) -> None:
    """Train the queued model version: in the request (inline) or in a background thread."""
    app = current_app._get_current_object()
    if app.config["JOBS"] == "inline":
        session = db()
        try:
            with session.begin_nested():
                train(session, actor, model)
        except DomainError as err:
            fail_training(session, model, f"训练失败：{err.message}")
        return
    _start(f"risk-{model.id}", _train, _train_crashed, model.id, actor.id)


def _train(app: Flask, session, model_id: int, actor_id: int) -> None:
    model, actor = session.get(RiskModel, model_id), session.get(User, actor_id)
    if model is None or model.status != "queued":
        return
    last = [0.0]

    def report(fraction: float, message: str) -> None:
        # Progress goes to this process's table; the run's own row commits only at the end.
        app.extensions.setdefault("job_progress", {})[("risk", model_id)] = (fraction, message)
        last[0] = fraction

    try:
        train(session, actor, model, progress=report)
        session.commit()
    except DomainError as err:
        session.rollback()
        fail_training(session, session.get(RiskModel, model_id), f"训练失败：{err.message}")
        session.commit()
    finally:
        app.extensions.setdefault("job_progress", {}).pop(("risk", model_id), None)


def _train_crashed(session, message: str, model_id: int, actor_id: int) -> None:
    model = session.get(RiskModel, model_id)
    if model is not None:
        fail_training(session, model, f"训练失败：{message}")


def work(app: Flask, *, burst: bool = False) -> None:
    """Run an RQ worker on the platform's queue (``inspection worker``)."""
    from rq import Worker
    if not app.config["REDIS_URL"]:
        raise RuntimeError("REDIS_URL 未设置：后台任务在网站进程内运行，无需单独的任务进程")
    queue = queue_of(app)
    if app.config.get("NOTICE_SENDER") is not False and not burst:
        start_sender(app)   # notices go out every NOTICE_INTERVAL seconds from each worker
    Worker([queue], connection=queue.connection).work(burst=burst, with_scheduler=False)


# -- Audit rules after writes -----------------------------------------------------------------------------
# Oversight's alerts follow the records: after a write that succeeded, the audit rules run again (at most once
# every AUDIT_INTERVAL seconds, and once more after the last write of a burst), in a thread of their own. With
# JOBS=inline (tests, one process) they run in the request's teardown instead, when AUDIT_AFTER_WRITES is set.

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _note_write(response):
    if (request.method in WRITES and response.status_code < 400 and current_user.is_authenticated
            and not request.path.startswith(("/oversight/alerts", "/api/v1/oversight/alerts"))):
        g.audit_due = True
    return response


def _after_write(exc) -> None:
    if exc is None and g.pop("audit_due", False):
        audit_soon(current_app._get_current_object())


def audit_soon(app: Flask) -> None:
    """Run the audit rules soon (see above); the caller's own work must be committed."""
    if not app.config["AUDIT_AFTER_WRITES"]:
        return
    if app.config["JOBS"] == "inline":
        session = db()
        try:
            refresh_alerts(session, today=clock.today())
            session.commit()
        except Exception:  # noqa: BLE001 - the write itself succeeded; the next one audits again
            log.exception("audit after a write failed")
            session.rollback()
        return
    state = app.extensions.setdefault("audit", {"lock": threading.Lock(), "pending": False, "running": False,
                                                "last": -1e9})
    with state["lock"]:
        state["pending"] = True
        if state["running"]:
            return
        state["running"] = True
    threading.Thread(target=_audit_loop, args=(app, state), name="audit", daemon=True).start()


def _audit_loop(app: Flask, state: dict) -> None:
    while True:
        wait = state["last"] + app.config["AUDIT_INTERVAL"] - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        with state["lock"]:
            if not state["pending"]:
                state["running"] = False
                return
            state["pending"] = False
            state["last"] = time.monotonic()
        try:
            with app.extensions["db_factory"]() as session:
                serialise(session, "audit-rules")
                refresh_alerts(session, today=clock.today())
                session.commit()
        except Exception:  # noqa: BLE001 - logged (the database may be gone); the next write audits again
            log.exception("audit rules failed")


# -- After a scan: oversight's facts and the inspection notices -----------------------------------------
# A request that enters a visit (or changes an entered one) only notes it on the session: the visit's
# facts for oversight (``facts.refresh_after_commit``) and, for each department's entry, its inspection
# notice (``entry_notices.entry_recorded``: a numbered PDF, the department's number lock and the
# rendering). Both are made once the request is committed: by a job on the queue (rq), in a thread (thread),
# or within the same commit (inline: tests). Only the sessions of requests (``web.session.db``) carry the
# app that says how.

APP_KEY = "web_app"


@event.listens_for(Session, "before_commit")
def _within_commit(session: Session) -> None:
    app = session.info.get(APP_KEY)
    if app is None or app.config["JOBS"] != "inline":
        return
    if session.info.get(facts.DUE):
        facts.refresh_due(session, facts.take_due(session))
    if session.info.get("entry_notices_due"):
        issue_due(session, take_due(session))
    # The log's own before-commit hook may already have queued the request's records: queue the facts'
    # and notices' records too, then seal the queue within the commit (no sealer thread runs inline).
    seal_pending(session)
    if session.info.pop(QUEUED, None):
        seal_all_queued(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    app = session.info.get(APP_KEY)
    if app is None or app.config["JOBS"] == "inline":
        return
    if session.info.pop(QUEUED, None):
        wake_sealer(app)
    visits, due = facts.take_due(session), take_due(session)
    if visits or due:
        submit_after_entry(app, visits, due)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("entry_notices_due", None)
    session.info.pop(facts.DUE, None)
    session.info.pop(QUEUED, None)


def submit_after_entry(app: Flask, visits: list[int], due: list[tuple[int, int]]) -> None:
    """Make the facts of the visits just committed and issue their entries' notices: on the queue, or in a
    thread of this process."""
    if app.config["JOBS"] == "rq":
        try:
            queue_of(app).enqueue(AFTER_ENTRY_JOB, visits, due,
                                  description="入企之后 " + "、".join(f"{v}/{d}" for v, d in due) if due else "入企之后")
            return
        except RedisError as exc:
            log.warning("job queue unavailable (%s): facts and inspection notices are made in this process", exc)
    threading.Thread(target=run_after_entry, args=(app, visits, due), name="after-entry", daemon=True).start()


def run_after_entry(app: Flask, visits: list[int], due: list[tuple[int, int]]) -> None:
    """With a session of its own: the visits' facts (one commit), then the notices (another). A failure is
    logged: a visit without its facts is counted again by ``inspection rebuild-facts``, and an entry
    without its notice is named by the oversight rule 入企未开具检查通知书."""
    session = app.extensions["db_factory"]()
    try:
        for step, work, args in (("facts", facts.refresh_due, visits), ("inspection notices", issue_due, due)):
            if not args:
                continue
            try:
                work(session, args)
                session.commit()
            except Exception:  # noqa: BLE001 - logged; see above
                log.exception("%s of %s failed", step, args)
                session.rollback()
    finally:
        session.close()


def init_app(app: Flask) -> None:
    if app.config["JOBS"] == "rq" and not app.config["REDIS_URL"]:
        raise RuntimeError("INSPECTION_JOBS=rq 需要设置 REDIS_URL")
    if app.config.get("AUDIT_AFTER_WRITES") is None:
        app.config["AUDIT_AFTER_WRITES"] = app.config["JOBS"] != "inline"
    app.after_request(_note_write)
    app.teardown_request(_after_write)
