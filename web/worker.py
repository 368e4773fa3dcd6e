"""The worker's side of the job queue: the jobs an ``inspection worker`` process takes from RQ, run on an
app of the worker's own (configured from the environment like the web's).

RQ finds these functions by their dotted path; nothing in the web process imports this module.
"""
from __future__ import annotations

from flask import Flask

from . import jobs
from .app import create_app

_worker_app: Flask | None = None


def worker_app() -> Flask:
    """The app the worker's jobs run on, made once per process."""
    global _worker_app
    if _worker_app is None:
        _worker_app = create_app({"JOBS": "thread"})
    return _worker_app


def run_schedule_job(run_id: int) -> None:
    """What an RQ worker runs: the build of one queued run, on the worker's own app."""
    jobs.run_schedule(worker_app(), run_id)


def run_after_entry_job(visits: list, due: list) -> None:
    """What an RQ worker runs after a scan: the facts of the visits it changed and the inspection notices
    of the departments that entered."""
    jobs.run_after_entry(worker_app(), list(visits), [tuple(pair) for pair in due])
