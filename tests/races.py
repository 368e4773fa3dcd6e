"""Requests released at one moment from many threads, as simultaneous users send them."""
from __future__ import annotations

import threading
import time

from inspection.demo.city import DEMO_PASSWORD
from inspection.operations.events import queued_count


def race(n: int, work) -> list:
    """Run ``work(i)`` in ``n`` threads released at one moment; their results, or the first error."""
    start, results, errors = threading.Barrier(n), [None] * n, []

    def run(i):
        try:
            results[i] = work(i, start)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def signed_in(app, username):
    client = app.test_client()
    response = client.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return client


def sealed(app, seconds: float = 30) -> None:
    """Wait until the app's sealer has given every queued record of the log its place in the chain (the
    requests commit their records to the queue; a thread of the app seals them just after)."""
    deadline = time.monotonic() + seconds
    while True:
        with app.extensions["db_factory"]() as session:
            if queued_count(session) == 0:
                return
        assert time.monotonic() < deadline, "the log's sealer left records queued"
        time.sleep(0.1)
