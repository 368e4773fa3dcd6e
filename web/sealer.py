"""The log's sealer: a daemon thread of each web process that gives the records requests queued their place
in the hash chain (``inspection.operations.events.seal_queued``), in small batches, soon after each commit
that queued some and every few seconds in case another process left some behind. Requests only insert
their records into the queue, so none waits for another's chain link; the sealers of several processes
take turns on the chain's head. ``inline`` jobs (tests) seal within the commit instead (``web.jobs``)."""
from __future__ import annotations

import atexit
import logging
import threading
import weakref

from flask import Flask
from sqlalchemy import event

from inspection.operations.events import SEAL_BATCH, seal_queued

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
_apps: weakref.WeakSet[Flask] = weakref.WeakSet()   # apps of this process whose sealer has started


def _state(app: Flask) -> dict:
    return app.extensions.setdefault("log_sealer", {"lock": threading.Lock(), "wake": threading.Event(),
                                                    "thread": None, "stop": threading.Event()})


def wake_sealer(app: Flask) -> None:
    """A commit queued records: seal them now (the sealer starts on first use)."""
    state = _state(app)
    with state["lock"]:
        if state["thread"] is None or not state["thread"].is_alive():
            if not state.get("watching"):   # an engine disposed of (shutdown, tests) stops its sealer first
                event.listen(app.extensions["db_engine"], "engine_disposed", lambda _engine: _halt(state))
                state["watching"] = True
            state["stop"].clear()
            state["thread"] = threading.Thread(target=_loop, args=(app, state), name="log-sealer", daemon=True)
            state["thread"].start()
            _apps.add(app)
    state["wake"].set()


def seal_all(app: Flask) -> int:
    """Seal every queued record, a batch per transaction; returns how many."""
    sealed = 0
    with app.extensions["db_factory"]() as session:
        while True:
            n = seal_queued(session, SEAL_BATCH)
            session.commit()
            sealed += n
            if n < SEAL_BATCH:
                return sealed


def _loop(app: Flask, state: dict) -> None:
    while not state["stop"].is_set():
        state["wake"].wait(POLL_SECONDS)
        state["wake"].clear()
        if state["stop"].is_set():
            return
        try:
            seal_all(app)
        except Exception:  # noqa: BLE001 - logged (the database may be away); the next round tries again
            log.exception("sealing the event log failed")


def _halt(state: dict) -> bool:
    """Stop the sealer's thread once its round is done; whether one was running."""
    state["stop"].set()
    state["wake"].set()
    thread, state["thread"] = state["thread"], None
    if thread is None or thread is threading.current_thread():
        return False
    thread.join(timeout=10)
    return True


def stop_sealer(app: Flask) -> None:
    """Stop the app's sealer after a last round (records queued so far are sealed)."""
    if _halt(_state(app)):
        try:
            seal_all(app)
        except Exception:  # noqa: BLE001 - logged; the records stay queued for the next sealer
            log.exception("sealing the event log failed")


def stop_all_sealers() -> None:
    """Stop the sealer of every app of this process (an app's next commit starts its own again)."""
    for app in list(_apps):
        stop_sealer(app)
    _apps.clear()


# A process that exits in order (a web worker told to stop) seals what its requests queued last.
atexit.register(stop_all_sealers)
