"""The cost of one request at the door, alone: SQL statements and milliseconds in process.

    python -m benchmarks.door [--firms 600] [--visits 20] [--database-url sqlite:///...] [--gap 0.2] [--history]
                              [--floor 200] [--save after.json] [--before before.json] [--show]
                              [--profile [--profile-sort cumulative|tottime]]

A scratch SQLite file (or the database given) gets a small demo city (with ``--history`` its past years too,
so that each firm's record holds a history; the measured firms' past visits are counted) and today's
confirmed visits; each visit's two officers scan in through the API (the first scan waits for the partner,
the second makes the department's entry), one officer opens the sheet, and the firm reads its record page
and its record API.
Everyone signs in once before (a phone at the gate stays signed in): checking a password hashes it with
scrypt, whose 32 MB empty the CPU's caches, and the request right after pays for that (a last row shows
what, each firm's record page just after signing in again). Each request is timed once the background
work of the one before has ended and ``--gap`` seconds have passed since it (``_quiet``): on this kind of
machine a request right after another runs faster than one after a pause (a line then measures by how
much: the same Python work and database round trips, after the pause and at once).
Printed per kind: median and p90 of statements and of milliseconds (Flask's test client, no network),
next to the targets (scan-in within 12 statements and 12 ms, the record page within 6 statements and
6 ms). The audit rules that run after writes (at most once every 30 seconds, in a thread of their own)
are off: they are not the request's cost, and on SQLite they would hold the writer lock while a request
waits. Outside working hours the clock starts on the next working morning. ``--save`` keeps the
figures; ``--before`` prints a saved run (e.g. of the previous version, run from its checkout) beside
this one, with the ratios.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import event, func, select

from core import clock
from inspection.demo.city import DEMO_PASSWORD, HISTORY_YEARS, PLATFORM_YEAR, build_demo_city
from inspection.demo.history import generate_history
from inspection.demo.today import todays_visits
from inspection.models import Firm, User, Visit
from inspection.operations.accounts import create_user
from inspection.pure.calendar import is_working_time, next_working_morning
from web.app import create_app

SHEET = "inspector's sheet page"
AFTER_SIGN_IN = "record page, signed in just before"
TARGETS = {"scan-in (waiting)": (12, 12), "scan-in (entry)": (12, 12), "record page": (6, 6), "record API": (6, 6)}


class Counter:
    """The statements of the requests (run in this thread by the test client); the jobs a commit hands to
    background threads (the log's sealer, oversight's facts, the inspection notice) are not the request's."""

    def __init__(self, engine, show: bool = False):
        self.n = 0
        self.show = show
        self.thread = threading.get_ident()
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args):
        if threading.get_ident() != self.thread:
            return
        self.n += 1
        if self.show:
            print("   ", " ".join(statement.split())[:160])


PROFILES: dict[str, cProfile.Profile] = {}


def _measure(counter: Counter, call, path: str, *, kind: str | None = None, **kwargs) -> tuple[int, float, int]:
    """Statements, milliseconds and status of one request (``call``: a test client's method); with
    ``--profile``, its calls are added to the kind's profile (the milliseconds then include the profiler's
    own cost)."""
    profile = PROFILES.get(kind) if kind else None
    _quiet(call.__self__.application)
    before = counter.n
    started = time.perf_counter()
    if profile is not None:
        profile.enable()
    response = call(path, **kwargs)
    if profile is not None:
        profile.disable()
    _pace["last_end"] = time.perf_counter()
    return counter.n - before, (time.perf_counter() - started) * 1000, response.status_code


LOOPS = {"log-sealer": "log_sealer", "notices": "notice_sender", "audit": None}   # the process's background loops


def _idle(app, thread: threading.Thread) -> bool:
    """Whether a background loop sleeps until it is woken: its innermost frame in threading's waits, and not
    woken already."""
    state = app.extensions.get(LOOPS[thread.name]) if LOOPS[thread.name] else None
    if state is not None and state["wake"].is_set():
        return False
    frame = sys._current_frames().get(thread.ident)
    return frame is None or frame.f_code.co_filename == threading.__file__


_pace = {"gap": 0.2, "last_end": 0.0}   # seconds from the end of one measured request to the next, at least


def _quiet(app) -> None:
    """Let what the previous request handed to other threads end first (the entry's notice, a PDF, in a
    thread of its own; the log's sealer and the notice sender, woken by its commit): measured alone, a
    request does not share the interpreter with them. Then wait until ``--gap`` seconds have passed since the
    last request ended: on this kind of machine a request that follows another at once runs faster than
    one after a pause, so every request gets the same pause, however long its predecessor's jobs took."""
    for thread in threading.enumerate():
        if thread is threading.current_thread() or not thread.daemon:
            continue
        if thread.name in LOOPS:
            deadline = time.monotonic() + 10
            while not _idle(app, thread) and time.monotonic() < deadline:
                time.sleep(0.001)
        else:
            thread.join(timeout=30)
    time.sleep(max(0.0, _pace["last_end"] + _pace["gap"] - time.perf_counter()))


def _sign_in(client, username: str) -> None:
    client.delete("/api/v1/session")
    response = client.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.get_json()
    client.environ_base["HTTP_X_CSRFTOKEN"] = response.headers["X-CSRFToken"]


def _python_work() -> str:
    """A fixed piece of the kind of Python a request runs (dictionaries, a keyed sort, JSON), about 2 ms."""
    counts: dict[int, int] = {}
    for i in range(12000):
        counts[i % 977] = counts.get(i % 977, 0) + i
    return json.dumps(sorted(counts.items(), key=lambda kv: -kv[1]))


def _idle_penalty(engine, gap: float, n: int = 25) -> dict:
    """How much slower this machine does the same work after ``gap`` seconds idle than right after other
    work: ``n`` times, a pause, then the fixed Python work and ten round trips to the database, each timed
    once after the pause and once again at once. The ratios of the medians (1.0: the pause costs nothing)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()

        def trips():
            for _ in range(10):
                cursor.execute("SELECT 1")
                cursor.fetchall()
        times: dict[str, list[float]] = defaultdict(list)
        for name, work in (("python", _python_work), ("database", trips)):
            work()
            for _ in range(n):
                time.sleep(gap)
                for when in ("after the pause", "at once"):
                    started = time.perf_counter()
                    work()
                    times[name, when].append(time.perf_counter() - started)
        raw.rollback()
    finally:
        raw.close()
    return {name: statistics.median(times[name, "after the pause"]) / statistics.median(times[name, "at once"])
            for name in ("python", "database")}


FLOOR = (("/health", "no account, no database"), ("/api/v1/firms/{uscc}", "the account, then the firm"),
         ("/api/v1/firms/{uscc}/visits", "the record API"), ("/firms/{uscc}", "the record page"))


def _floor(client, firm: tuple[str, str], n: int) -> dict:
    """The same request ``n`` times in a row after a tenth as many to warm up (statements prepared, templates
    compiled): the median ms of each of ``FLOOR``, signed in as the firm."""
    username, uscc = firm
    _sign_in(client, username)
    medians = {}
    print(f"\n{'signed in as the firm, the same request again and again':<58}{'median ms':>10}")
    for template, what in FLOOR:
        path = template.format(uscc=uscc)
        times = []
        for i in range(n + max(1, n // 10)):
            started = time.perf_counter()
            assert client.get(path).status_code == 200, path
            if i >= max(1, n // 10):
                times.append((time.perf_counter() - started) * 1000)
        medians[template] = statistics.median(times)
        print(f"{template + ' (' + what + ')':<58}{medians[template]:>10.1f}")
    return medians


def _requests(app, counter: Counter, visits: list, firms: list[tuple[str, str]]) -> tuple[dict, dict]:
    """Everyone signs in once; then, visit by visit, the two scans, the sheet and three reads of the firm's
    record page and API; then each firm's record page right after it signs in again. Returns the signed-in
    clients by username and the (statements, ms) samples by kind."""
    clients = {}
    for username in dict.fromkeys([*(o for visit in visits for o in visit.officers[:2]), *(f for f, _ in firms)]):
        clients[username] = app.test_client()
        _sign_in(clients[username], username)
    samples: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for visit, (firm_user, uscc) in zip(visits, firms):
        for n, officer in enumerate(visit.officers[:2]):
            if counter.show:
                print(f"-- scan-in {n + 1}")
            kind = "scan-in (waiting)" if n == 0 else "scan-in (entry)"
            statements, ms, status = _measure(counter, clients[officer].post, "/api/v1/scans", kind=kind,
                                              json={"token": visit.token})
            assert status == 200, status
            samples[kind].append((statements, ms))
        statements, ms, status = _measure(counter, clients[officer].get, f"/visits/{visit.visit_id}", kind=SHEET)
        samples[SHEET].append((statements, ms))
        for _ in range(3):
            samples["record page"].append(_measure(counter, clients[firm_user].get, f"/firms/{uscc}",
                                                   kind="record page")[:2])
            samples["record API"].append(_measure(counter, clients[firm_user].get, f"/api/v1/firms/{uscc}/visits",
                                                  kind="record API")[:2])
        counter.show = False
    for firm_user, uscc in firms:     # what a password check just before costs: its hash empties the CPU's caches
        _sign_in(clients[firm_user], firm_user)
        samples[AFTER_SIGN_IN].append(_measure(counter, clients[firm_user].get, f"/firms/{uscc}")[:2])
    return clients, samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=600)
    parser.add_argument("--visits", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--show", action="store_true", help="print the statements of the first visit's requests")
    parser.add_argument("--profile", action="store_true",
                        help="profile the scans, the sheet and the record reads and print where their time goes")
    parser.add_argument("--profile-sort", default="cumulative", choices=("cumulative", "tottime"),
                        help="cumulative: the platform's calls that hold the time; tottime: the 30 functions that spend it")
    parser.add_argument("--save", help="write the figures to this JSON file")
    parser.add_argument("--before", help="a saved run to print beside this one")
    parser.add_argument("--floor", type=int, default=0, metavar="N",
                        help="then, for the first firm, each of a few reads N times in a row (warm): what a signed-in "
                             "request costs before the record")
    parser.add_argument("--history", action="store_true",
                        help="give the city its past years too (2022 to yesterday, in bulk, as the demo has them), so "
                             "that each firm's record holds its history")
    parser.add_argument("--gap", type=float, default=0.2, metavar="SECONDS",
                        help="pause between measured requests (0: one right after the other, once the last one's "
                             "background work has ended)")
    args = parser.parse_args()
    _pace["gap"] = args.gap
    local = clock.local_now()
    if not is_working_time(local):
        clock.start_at(clock.from_local(next_working_morning(local)))
        print(f"clock set to {clock.local_now():%Y-%m-%d %H:%M} (local): {local:%Y-%m-%d %H:%M} is outside working hours")
    folder = Path(tempfile.mkdtemp(prefix="door-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'door.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "door-benchmark", "FILES_FOLDER": str(folder / "files"),
                      "RATELIMIT_ENABLED": False, "TESTING": True, "AUDIT_AFTER_WRITES": False})
    from inspection.db import upgrade  # noqa: PLC0415 - after the app made its engine
    upgrade(app.extensions["db_engine"])
    with app.extensions["db_factory"]() as session:
        if session.scalar(select(func.count()).select_from(Firm)):
            # A second city beside the first finds its officers taken by the first one's visits today.
            print(f"{url} already holds firms: give --database-url an empty database "
                  "(e.g. DROP DATABASE and CREATE DATABASE again)", file=sys.stderr)
            return 2
    print(f"building a demo city of {args.firms} firms in {url} ...", flush=True)
    with app.extensions["db_factory"]() as session:
        build_demo_city(session, seed=7, firms=args.firms, schedule_seconds=3, plans=False)
        if args.history:
            generate_history(session, seed=7, years=[*HISTORY_YEARS, PLATFORM_YEAR], staged=False,
                             until=clock.today() - dt.timedelta(days=1), combined_from=PLATFORM_YEAR)
        visits = todays_visits(session, ratio=0.5)[:args.visits]
        firms = []
        for visit in visits:
            firm = session.scalar(select(Firm).where(Firm.uscc == visit.firm_uscc))
            user = session.scalar(select(User).where(User.firm_id == firm.id)) or create_user(
                session, None, username=f"bench-{firm.uscc}", password=DEMO_PASSWORD, role="enterprise",
                display_name=firm.name, firm=firm)
            firms.append((user.username, firm.uscc))
        session.commit()
        past = dict(session.execute(
            select(Firm.uscc, func.count(Visit.id)).join(Visit, Visit.firm_id == Firm.id)
            .where(Firm.uscc.in_([uscc for _, uscc in firms]), Visit.status == "completed").group_by(Firm.uscc)).all())
    if not visits:
        print("no visits today: nothing to measure")
        return 1
    counter = Counter(app.extensions["db_engine"], show=args.show)
    if args.profile:
        PROFILES.update({kind: cProfile.Profile() for kind in (*TARGETS, SHEET)})
    clients, samples = _requests(app, counter, visits, firms)
    client = clients[firms[0][0]]
    before = json.loads(Path(args.before).read_text()) if args.before else {}
    figures = {}
    for kind, rows in samples.items():
        statements = sorted(s for s, _ in rows)
        ms = sorted(m for _, m in rows)
        p90 = max(0, int(len(rows) * 0.9) - 1)
        figures[kind] = {"statements": statistics.median(statements), "statements_p90": statements[p90],
                         "ms": statistics.median(ms), "ms_p90": ms[p90]}
    history = sorted(past.get(uscc, 0) for _, uscc in firms)
    print(f"the firms' records: {statistics.median(history):.0f} past visits (median), {history[0]}-{history[-1]}")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average {load}" + (f" (before: {before['_load']})" if "_load" in before else ""))
    print(f"{'request':<36}{'statements p50/p90':>20}{'ms p50/p90':>16}{'target':>16}"
          + (f"{'before: statements, ms':>28}{'ratio ms':>10}" if before else ""))
    for kind, f in figures.items():
        target = TARGETS.get(kind)
        line = (f"{kind:<36}{f['statements']:>10.0f} / {f['statements_p90']:<7}{f['ms']:>8.1f} / {f['ms_p90']:<6.1f}"
                f"{(f'{target[0]} st, {target[1]} ms' if target else ''):>16}")
        if kind in before:
            old = before[kind]
            line += f"{old['statements']:>18.0f} st, {old['ms']:>5.1f} ms{f['ms'] / old['ms']:>9.2f}"
        print(line)
    if args.gap:
        figures["_idle"] = _idle_penalty(app.extensions["db_engine"], args.gap)
        print(f"this machine after {args.gap:g} s idle: the same Python work takes {figures['_idle']['python']:.2f}×, "
              f"a round trip to the database {figures['_idle']['database']:.2f}× its time right after other work"
              + (f" (before: {before['_idle']['python']:.2f}×, {before['_idle']['database']:.2f}×)" if "_idle" in before else ""))
    if args.floor:
        figures["_floor"] = _floor(client, firms[0], args.floor)
    if args.save:
        Path(args.save).write_text(json.dumps({**figures, "_load": load, "_history": history}, indent=1))
    for kind, profile in PROFILES.items():
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.profile_sort).print_stats(
            *([r"(inspection|web|checklists|core|sqlalchemy/orm/session|flask/app|werkzeug/test)", 22]
              if args.profile_sort == "cumulative" else [30]))
        print(f"\n-- where the time of {kind} goes ({args.profile_sort}, all its requests) --")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
