"""Load on the door, open-loop: gunicorn workers over PostgreSQL, rate limits on.

    python -m benchmarks.load [--workers 4] [--threads 8] [--firms 1200] [--concurrency 32]
                              [--reads-per-team 6] [--database-url postgresql://postgres@127.0.0.1:5432/DB]
                              [--save after.json] [--before before.json] [--server-root /path/to/other/checkout]

A scratch schema gets a city and today's confirmed visits (a filed, drawn, scheduled and confirmed
plan); the served platform's clock starts where this process's is (``INSPECTION_NOW``), on the next
working morning when today is a weekend, a holiday or after hours, so it runs on any day. Every
client signs in from its own address (``X-Forwarded-For`` behind ``TRUSTED_PROXIES=1``), so the
rate limits stay on as in production. Then, in turn:

1. ``/health`` as fast as 16 connections go (the machine's speed, for ratios);
2. one request at a time, after ``--warm-teams`` teams and their reads have warmed every worker (not
   counted), each a quarter of a second after the one before: a few teams (both officers scan in, one
   scans out) and firm record reads (the record page and the visits API): the single-request latency;
3. saturation, closed loop: ``--concurrency`` connections take jobs as fast as they are answered, in
   the mix of ``--reads-per-team`` record reads per team, until half the teams have been through;
   scans/s and record reads/s, also per core;
4. open loop: teams arrive (Poisson) at half the saturation's scan rate and reads at half its read
   rate, each sent when it is due whatever is outstanding; a team scans out a few seconds after it
   arrived; latency counts from when it was due.

Printed: throughput per phase, p50/p95/p99 per kind in the open loop and p95 against the single
request's p50 (target: within 3×), errors, and the database's check that every visit was entered
exactly once. ``--save`` keeps the figures, ``--before`` prints a saved run beside this one.
``--server-root`` serves another checkout (e.g. the previous version) with this benchmark.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import queue
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select, text

from core import clock
from inspection.db import make_engine, make_session_factory, upgrade
from inspection.demo.city import DEMO_PASSWORD, build_demo_city
from inspection.demo.today import todays_visits
from inspection.models import Event, Firm, Scan, User, Visit, VisitEntry
from inspection.operations.accounts import create_user
from inspection.operations.events import verify_chain
from inspection.pure.calendar import is_working_time, next_working_morning
from tests.servers import Gunicorn

_addresses = itertools.count(1)


class Client:
    """One keep-alive connection from its own address, with its own session cookie and the CSRF token
    its sign-in handed out."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        n = next(_addresses)
        self.address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        self.cookie = ""
        self.csrf_token = ""

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None, float]:
        headers = {"X-Forwarded-For": self.address}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if method != "GET" and self.csrf_token:
            headers["X-CSRFToken"] = self.csrf_token
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # the server closed an idle keep-alive connection: reconnect once
                if attempt == 2:
                    raise
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        self.csrf_token = response.getheader("X-CSRFToken") or self.csrf_token
        payload = json.loads(raw) if raw and "json" in (response.getheader("Content-Type") or "") else None
        return response.status, payload, elapsed

    def close(self) -> None:
        self.connection.close()

    def sign_in(self, username: str) -> None:
        status, body, _ = self.call("POST", "/api/v1/session", {"username": username, "password": DEMO_PASSWORD})
        if status != 200:
            raise RuntimeError(f"sign-in of {username} failed: {status} {body}")


def prepare(url: str, schema: str, firms: int, record_firms: int) -> tuple[str, list, list]:
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(scoped)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        build_demo_city(session, seed=21, firms=firms, plans=False)
        visits = todays_visits(session, ratio=0.6, days=1, time_limit=20)
        record_users = []
        for firm in session.scalars(select(Firm).order_by(Firm.id).limit(record_firms)):
            username = f"load-firm-{firm.id}"
            if session.scalar(select(User.id).where(User.username == username)) is None:
                create_user(session, None, username=username, password=DEMO_PASSWORD, role="enterprise",
                            display_name=firm.name, firm=firm)
            record_users.append((username, firm.uscc))
        session.commit()
    engine.dispose()
    return scoped, visits, record_users


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0.0


def figures(values: list[float]) -> dict:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "max": max(values, default=0.0),
            "mean": statistics.fmean(values) if values else 0.0}


class Recorder:
    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def note(self, kind: str, status: int, elapsed: float, body=None) -> None:
        with self.lock:
            self.latencies[kind].append(elapsed)
            if status != 200:
                self.errors.append(f"{kind}: {status} {body}")


class Firms:
    """The firm clients, each used by one request at a time."""

    def __init__(self, clients: list[tuple[Client, str]]):
        self.clients = clients
        self.free: queue.Queue = queue.Queue()
        for pair in clients:
            self.free.put(pair)
        self.turn = itertools.count()

    def read(self, recorder: Recorder, due: float | None = None) -> None:
        client, uscc = self.free.get()
        try:
            page = next(self.turn) % 2 == 0
            kind, path = ("record-page", f"/firms/{uscc}") if page else ("record-api", f"/api/v1/firms/{uscc}/visits")
            status, body, elapsed = client.call("GET", path)
            recorder.note(kind, status, time.perf_counter() - due if due is not None else elapsed, body)
        finally:
            self.free.put((client, uscc))


LEAVE_AFTER = (2.0, 6.0)   # seconds from a team's arrival to its scan-out, in the open loop
SINGLE_PAUSE = 0.25   # seconds between the single requests: each is alone, the jobs of the one before done


def team_run(team, pair, recorder: Recorder, due: float | None = None, pause: float = 0.0) -> None:
    """Both officers scan in, the first scans out; ``pause`` seconds before each request (alone, the jobs
    the previous one handed to background threads have finished)."""
    team_in(team, pair, recorder, due, pause)
    time.sleep(pause)
    team_out(team, pair, recorder)


def team_in(team, pair, recorder: Recorder, due: float | None = None, pause: float = 0.0) -> None:
    for n, client in enumerate(pair):
        time.sleep(pause)
        status, body, elapsed = client.call("POST", "/api/v1/scans", {"token": team.token})
        recorder.note("scan-in", status, time.perf_counter() - due if due is not None and n == 0 else elapsed, body)


def team_out(team, pair, recorder: Recorder, due: float | None = None) -> None:
    status, body, elapsed = pair[0].call("POST", f"/api/v1/visits/{team.visit_id}/leave")
    recorder.note("scan-out", status, time.perf_counter() - due if due is not None else elapsed, body)


def closed_loop(jobs: list, concurrency: int) -> float:
    work: queue.Queue = queue.Queue()
    for job in jobs:
        work.put(job)

    def worker():
        while True:
            try:
                job = work.get_nowait()
            except queue.Empty:
                return
            job()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def open_loop(teams: list, team_rate: float, read_rate: float, firms: Firms, recorder: Recorder,
              seed: int = 5) -> tuple[float, float]:
    """Teams and reads arrive as Poisson processes; each is sent when due, whatever is outstanding. A team's
    officers scan in together; it scans out ``LEAVE_AFTER`` seconds later (at a door, an inspection lasts,
    and the entry's inspection notice is issued meanwhile). Returns the seconds over which teams and reads
    arrived, and until the last answer."""
    rng = random.Random(seed)
    duration = len(teams) / team_rate
    arrivals, at = [], 0.0
    for team in teams:
        at += rng.expovariate(team_rate)
        arrivals.append((at, "team", team))
        arrivals.append((at + rng.uniform(*LEAVE_AFTER), "leave", team))
    at = 0.0
    while True:
        at += rng.expovariate(read_rate)
        if at > duration:
            break
        arrivals.append((at, "read", None))
    arrivals.sort(key=lambda a: a[0])
    entered = {id(team): threading.Event() for team in teams}

    def enter(team, due):
        try:
            team_in(team[0], team[1], recorder, due)
        finally:
            entered[id(team)].set()

    def leave(team, due):
        entered[id(team)].wait()
        # A team whose entry was answered after its time to leave leaves then, not before it entered.
        team_out(team[0], team[1], recorder, max(due, time.perf_counter()))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=512) as pool:
        for offset, kind, team in arrivals:
            due = started + offset
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if kind == "team":
                pool.submit(enter, team, due)
            elif kind == "leave":
                pool.submit(leave, team, due)
            else:
                pool.submit(firms.read, recorder, due)
    return duration, time.perf_counter() - started


def measure(scoped: str, visits: list, record_users: list, args) -> dict:
    """The phases in turn on one served platform, then the database's check of what they left."""
    cores = os.cpu_count() or 1
    env = {"DATABASE_URL": scoped, "SECRET_KEY": "load-secret", "SCHEDULE_WORKERS": "1", "RATE_LIMITS": "1",
           "TRUSTED_PROXIES": "1"}
    server = Gunicorn(env, workers=args.workers, threads=args.threads,
                      root=Path(args.server_root) if args.server_root else None).start()
    opened: list[Client] = []
    try:
        team_clients, firms = _sign_in_everyone(server.port, visits, record_users, opened)
        health, health_seconds = _health(server.port, args.health_requests, opened)
        # Warm-up, not counted: each worker's first requests compile templates, statements and plans.
        warm, measured = team_clients[:args.warm_teams], team_clients[args.warm_teams:]
        closed_loop([lambda team=team, pair=pair: team_run(team, pair, Recorder()) for team, pair in warm]
                    + [lambda: firms.read(Recorder())] * (args.warm_teams * args.reads_per_team), args.workers)
        single = Recorder()
        first, rest = measured[:args.single_teams], measured[args.single_teams:]
        for team, pair in first:
            team_run(team, pair, single, pause=SINGLE_PAUSE)
        for _ in range(args.single_reads):
            time.sleep(SINGLE_PAUSE)
            firms.read(single)
        half = len(rest) // 2
        closed_teams, open_teams = rest[:half], rest[half:]
        saturation, saturation_seconds = _saturation(closed_teams, firms, args)
        scans_saturation = (len(saturation.latencies["scan-in"]) + len(saturation.latencies["scan-out"])) / saturation_seconds
        reads_saturation = (len(saturation.latencies["record-page"]) + len(saturation.latencies["record-api"])) / saturation_seconds
        offered = Recorder()
        team_rate = scans_saturation / 2 / 3          # three scans per team
        read_rate = reads_saturation / 2
        open_seconds, open_until = open_loop(open_teams, team_rate, read_rate, firms, offered)
    finally:
        for client in opened:
            client.close()
        server.stop()
    offered_scans = len(offered.latencies["scan-in"]) + len(offered.latencies["scan-out"])
    offered_reads = len(offered.latencies["record-page"]) + len(offered.latencies["record-api"])
    return {"cores": cores, "load_average": os.getloadavg(), "teams": len(team_clients), "firms": len(firms.clients),
            "health_rps": len(health.latencies["health"]) / health_seconds,
            "health": figures(health.latencies["health"]),
            "single": {k: figures(v) for k, v in single.latencies.items()},
            "saturation": {"seconds": saturation_seconds, "teams": len(closed_teams), "scans_per_second": scans_saturation,
                           "reads_per_second": reads_saturation, "scans_per_second_per_core": scans_saturation / cores,
                           "reads_per_second_per_core": reads_saturation / cores,
                           "latency": {k: figures(v) for k, v in saturation.latencies.items()}},
            "open": {"seconds": open_seconds, "until_last_answer": open_until, "teams": len(open_teams), "offered_scans_per_second": team_rate * 3,
                     "offered_reads_per_second": read_rate, "scans_per_second": offered_scans / open_seconds,
                     "reads_per_second": offered_reads / open_seconds,
                     "latency": {k: figures(v) for k, v in offered.latencies.items()}},
            "errors": health.errors + single.errors + saturation.errors + offered.errors,
            **_what_was_left(scoped, [t.visit_id for t, _ in team_clients])}


def _sign_in_everyone(port: int, visits: list, record_users: list, opened: list) -> tuple[list, Firms]:
    """Every team's two officers and every firm account signed in first (password hashing is deliberately
    slow and is not what is measured)."""
    team_clients = []
    for team in visits:
        pair = [Client(port), Client(port)]
        opened.extend(pair)
        for client, name in zip(pair, team.officers):
            client.sign_in(name)
        team_clients.append((team, pair))
    firm_clients = []
    for username, uscc in record_users:
        client = Client(port)
        opened.append(client)
        client.sign_in(username)
        firm_clients.append((client, uscc))
    return team_clients, Firms(firm_clients)


def _health(port: int, requests: int, opened: list) -> tuple[Recorder, float]:
    """``/health`` as fast as 16 connections go: the machine's speed, for ratios."""
    health = Recorder()
    clients = [Client(port) for _ in range(16)]
    opened.extend(clients)

    def job(client):
        def run():
            for _ in range(requests // 16):
                status, body, elapsed = client.call("GET", "/health")
                health.note("health", status, elapsed, body)
        return run
    return health, closed_loop([job(c) for c in clients], 16)


def _saturation(teams: list, firms: Firms, args) -> tuple[Recorder, float]:
    """A closed loop of ``--concurrency`` connections through the teams in the mix of reads per team."""
    saturation = Recorder()
    jobs = []
    for team, pair in teams:
        jobs.append(lambda team=team, pair=pair: team_run(team, pair, saturation))
        jobs.extend([lambda: firms.read(saturation)] * args.reads_per_team)
    random.Random(3).shuffle(jobs)
    return saturation, closed_loop(jobs, args.concurrency)


def _what_was_left(scoped: str, ids: list[int]) -> dict:
    """The database after the run: every visit entered exactly once, no scan counted twice, and the log with
    nothing left queued (the workers stopped in order), its chain whole and a record of every entry."""
    engine = make_engine(scoped)
    with make_session_factory(engine)() as session:
        entries = dict(session.execute(select(VisitEntry.visit_id, func.count()).where(VisitEntry.visit_id.in_(ids))
                                       .group_by(VisitEntry.visit_id)).all())
        doubled_scans = session.scalar(select(func.count()).select_from(
            select(Scan.visit_id, Scan.officer_id).where(Scan.visit_id.in_(ids), Scan.kind == "in",
                                                         Scan.accepted.is_(True))
            .group_by(Scan.visit_id, Scan.officer_id).having(func.count() > 1).subquery()))
        completed = session.scalar(select(func.count()).select_from(Visit).where(Visit.id.in_(ids),
                                                                                 Visit.status == "completed"))
        queued = session.scalar(text("select count(*) from event_queue")) if _has_queue(session) else 0
        chain_ok = verify_chain(session)[0]
        entered_records = session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "visit.entered", Event.subject.in_([f"visit:{i}" for i in ids])))
    engine.dispose()
    return {"visits_not_entered_once": sum(1 for i in ids if entries.get(i) != 1), "duplicate_scans": doubled_scans,
            "visits_completed": completed,
            "log": {"queued": queued, "chain_ok": chain_ok, "entered_records": entered_records}}


def _has_queue(session) -> bool:
    """Whether the served version queues its log records (an older one seals them at commit)."""
    return session.scalar(text("select count(*) from information_schema.tables where table_name = 'event_queue' "
                               "and table_schema = current_schema()")) > 0


KINDS = ("scan-in", "scan-out", "record-page", "record-api")


def report(result: dict, before: dict | None = None) -> None:
    def side(value: float, old: float | None, unit: str = "", scale: float = 1.0, digits: int = 1) -> str:
        now = f"{value * scale:.{digits}f}{unit}"
        if old is None:
            return now
        ratio = f"×{value / old:.2f}" if old else ""
        return f"{old * scale:.{digits}f}{unit} → {now} ({ratio})"

    def get(path: str):
        node = before
        for key in path.split("."):
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    print(f"{result['teams']} teams (2 officers each), {result['firms']} firm accounts, {result['cores']} cores, "
          f"load average {' '.join(f'{x:.1f}' for x in result['load_average'])}"
          + (f" (before: {' '.join(f'{x:.1f}' for x in before['load_average'])})" if before else ""))
    print(f"/health: {side(result['health_rps'], get('health_rps'), ' req/s', digits=0)}")
    print("one request at a time, p50:")
    for kind in KINDS:
        if kind in result["single"]:
            print(f"  {kind:12s} {side(result['single'][kind]['p50'], get(f'single.{kind}.p50'), ' ms', 1000)}")
    sat = result["saturation"]
    print(f"saturation (closed loop, {sat['teams']} teams): "
          f"{side(sat['scans_per_second'], get('saturation.scans_per_second'), ' scans/s')}, "
          f"{side(sat['reads_per_second'], get('saturation.reads_per_second'), ' record reads/s')}")
    print(f"  per core: {side(sat['scans_per_second_per_core'], get('saturation.scans_per_second_per_core'), ' scans/s')}, "
          f"{side(sat['reads_per_second_per_core'], get('saturation.reads_per_second_per_core'), ' reads/s')}; "
          f"scans/s to /health: {side(sat['scans_per_second'] / result['health_rps'], (get('saturation.scans_per_second') or 0) / get('health_rps') if before else None, '', digits=4)}")
    run = result["open"]
    print(f"open loop at half of it ({run['teams']} teams, {run['seconds']:.1f} s): offered "
          f"{run['offered_scans_per_second']:.1f} scans/s and {run['offered_reads_per_second']:.1f} reads/s, "
          f"sent {run['scans_per_second']:.1f} and {run['reads_per_second']:.1f}"
          + (f", the last answered {run['until_last_answer']:.1f} s after the first was sent"
             if "until_last_answer" in run else ""))
    for kind in KINDS:
        if kind not in run["latency"]:
            continue
        f = run["latency"][kind]
        single = result["single"].get(kind, {}).get("p50")
        line = "  ".join(f"{p} {side(f[p], get(f'open.latency.{kind}.{p}'), ' ms', 1000)}" for p in ("p50", "p95", "p99"))
        print(f"  {kind:12s} n={f['n']:5d}  {line}"
              + (f"  p95/single {f['p95'] / single:.1f}× (target ≤ 3×)" if single else ""))
    print(f"errors: {len(result['errors'])}; visits not entered exactly once: {result['visits_not_entered_once']}; "
          f"duplicate accepted scans: {result['duplicate_scans']}; visits completed: "
          f"{result['visits_completed']}/{result['teams']}")
    if "log" in result:
        log = result["log"]
        print(f"event log after the run: chain {'whole' if log['chain_ok'] else 'BROKEN'}, {log['queued']} records "
              f"still queued, {log['entered_records']} visit.entered records for {result['teams']} teams")
    for line in result["errors"][:10]:
        print("  ", line)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--firms", type=int, default=1200)
    parser.add_argument("--record-firms", type=int, default=160)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--reads-per-team", type=int, default=6)
    parser.add_argument("--warm-teams", type=int, default=8, help="teams through first, not counted")
    parser.add_argument("--single-teams", type=int, default=3)
    parser.add_argument("--single-reads", type=int, default=20)
    parser.add_argument("--health-requests", type=int, default=4000)
    parser.add_argument("--database-url", default="postgresql://postgres:postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="bench_load")
    parser.add_argument("--server-root", help="serve this checkout instead of this one (e.g. the previous version)")
    parser.add_argument("--save", help="write the figures to this JSON file")
    parser.add_argument("--before", help="a saved run to print beside this one")
    args = parser.parse_args(argv)
    local = clock.local_now()
    if not is_working_time(local):
        # The door is closed at night and at weekends: run the drill day on the next working morning
        # (the served platform's clock starts there too, through INSPECTION_NOW).
        clock.start_at(clock.from_local(next_working_morning(local)))
        print(f"clock set to {clock.local_now():%Y-%m-%d %H:%M} (local): {local:%Y-%m-%d %H:%M} is outside working hours")
    scoped, visits, record_users = prepare(args.database_url, args.schema, args.firms, args.record_firms)
    print(f"today's confirmed visits: {len(visits)}; firm accounts: {len(record_users)}", flush=True)
    result = measure(scoped, visits, record_users, args)
    before = json.loads(Path(args.before).read_text()) if args.before else None
    report(result, before)
    if args.save:
        Path(args.save).write_text(json.dumps(result, indent=1))
    log = result["log"]
    ok = (not result["errors"] and not result["visits_not_entered_once"] and not result["duplicate_scans"]
          and log["chain_ok"] and not log["queued"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
