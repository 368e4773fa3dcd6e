"""Load on the door: 200 concurrent clients against gunicorn with several workers on PostgreSQL.

    python -m benchmarks.load [--clients 200] [--workers 4] [--threads 8] [--firms 600]
                              [--health-requests 20000] [--record-views 10]
                              [--database-url postgresql://postgres:postgres@127.0.0.1:5432/test]

A scratch schema gets a city and today's confirmed visits (a filed, drawn, scheduled and confirmed
plan). The clients are the visits' teams (each: both officers scan in, one scans out) and the firms
(each: its record page and its visits API, again and again), all on loopback, bounded in requests.
First every client hits the trivial /health as fast as it can; then the real run. Printed: requests
per second, scans per second, the ratio of scans to health requests per second, p50/p95/max latency
per kind, errors, and the database's check that every visit was entered exactly once.
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from collections import defaultdict

from sqlalchemy import func, select, text

from core import clock
from inspection.calendar import is_working_time, next_working_morning
from inspection.db import make_engine, make_session_factory, upgrade
from inspection.demo.city import DEMO_PASSWORD, build_demo_city
from inspection.demo.today import todays_visits
from inspection.models import Firm, Scan, User, Visit, VisitEntry
from inspection.operations.accounts import create_user
from tests.servers import Gunicorn


class Client:
    """One keep-alive connection with its own session cookie and the CSRF token its sign-in handed out."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookie = ""
        self.csrf_token = ""

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None, float]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
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


def prepare(url: str, schema: str, firms: int) -> tuple[str, list, list]:
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
        for firm in session.scalars(select(Firm).order_by(Firm.id).limit(200)):
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


def run_threads(targets) -> float:
    threads = [threading.Thread(target=t) for t in targets]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def measure(scoped: str, visits: list, record_users: list, args) -> dict:  # noqa: C901 - to split
    server = Gunicorn({"DATABASE_URL": scoped, "SECRET_KEY": "load-secret", "SCHEDULE_WORKERS": "1"},
                      workers=args.workers, threads=args.threads).start()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    opened: list[Client] = []

    def note(kind: str, status: int, elapsed: float, ok=(200,), body=None) -> None:
        with lock:
            latencies[kind].append(elapsed)
            if status not in ok:
                errors.append(f"{kind}: {status} {body}")

    try:
        teams = visits[: max(0, args.clients - min(len(record_users), args.clients // 5))]
        firms = record_users[: args.clients - len(teams)]
        # Sign everyone in first (password hashing is deliberately slow and is not what is measured).
        team_clients = []
        for team in teams:
            pair = [Client(server.port), Client(server.port)]
            opened.extend(pair)
            for client, name in zip(pair, team.officers):
                client.sign_in(name)
            team_clients.append((team, pair))
        firm_clients = []
        for username, uscc in firms:
            client = Client(server.port)
            opened.append(client)
            client.sign_in(username)
            firm_clients.append((client, uscc))
        everyone = [c for _, pair in team_clients for c in pair[:1]] + [c for c, _ in firm_clients]
        everyone = everyone[: args.clients]

        per_client = max(1, args.health_requests // len(everyone))

        def health(client):
            def run():
                for _ in range(per_client):
                    status, body, elapsed = client.call("GET", "/health")
                    note("health", status, elapsed, body=body)
            return run

        health_seconds = run_threads([health(c) for c in everyone])
        health_count = per_client * len(everyone)

        def team_run(team, pair):
            def run():
                first, second = pair
                for client in (first, second):
                    status, body, elapsed = client.call("POST", "/api/v1/scans", {"token": team.token})
                    note("scan-in", status, elapsed, body=body)
                status, body, elapsed = first.call("POST", f"/api/v1/visits/{team.visit_id}/leave")
                note("scan-out", status, elapsed, body=body)
            return run

        def firm_run(client, uscc):
            def run():
                for _ in range(args.record_views):
                    status, body, elapsed = client.call("GET", f"/firms/{uscc}")
                    note("record-page", status, elapsed, body=body)
                    status, body, elapsed = client.call("GET", f"/api/v1/firms/{uscc}/visits")
                    note("record-api", status, elapsed, body=body)
            return run

        targets = [team_run(t, p) for t, p in team_clients] + [firm_run(c, u) for c, u in firm_clients]
        run_seconds = run_threads(targets)
    finally:
        for client in opened:
            client.close()
        server.stop()
    scans = len(latencies["scan-in"]) + len(latencies["scan-out"])
    requests = sum(len(v) for k, v in latencies.items() if k != "health")
    engine = make_engine(scoped)
    with make_session_factory(engine)() as session:
        ids = [t.visit_id for t in teams]
        entries = dict(session.execute(select(VisitEntry.visit_id, func.count()).where(VisitEntry.visit_id.in_(ids))
                                       .group_by(VisitEntry.visit_id)).all())
        doubled_scans = session.scalar(select(func.count()).select_from(
            select(Scan.visit_id, Scan.officer_id).where(Scan.visit_id.in_(ids), Scan.kind == "in",
                                                         Scan.accepted.is_(True))
            .group_by(Scan.visit_id, Scan.officer_id).having(func.count() > 1).subquery()))
        completed = session.scalar(select(func.count()).select_from(Visit).where(Visit.id.in_(ids),
                                                                                 Visit.status == "completed"))
    engine.dispose()
    return {"clients": len(team_clients) * 1 + len(firm_clients), "teams": len(teams), "firms": len(firms),
            "health_rps": health_count / health_seconds, "health_requests": health_count,
            "run_seconds": run_seconds, "requests": requests, "rps": requests / run_seconds,
            "scans": scans, "scans_per_second": scans / run_seconds,
            "latency": {k: {"n": len(v), "p50": percentile(v, 50), "p95": percentile(v, 95), "max": max(v),
                            "mean": statistics.fmean(v)} for k, v in latencies.items()},
            "errors": errors, "visits_not_entered_once": sum(1 for i in ids if entries.get(i) != 1),
            "duplicate_scans": doubled_scans, "visits_completed": completed}


def report(result: dict) -> None:
    print(f"clients: {result['teams']} teams (2 officers each) + {result['firms']} firms, concurrently")
    print(f"/health: {result['health_requests']} requests, {result['health_rps']:.0f} requests/s")
    print(f"run: {result['requests']} requests in {result['run_seconds']:.1f} s = {result['rps']:.0f} requests/s; "
          f"{result['scans']} scans = {result['scans_per_second']:.1f} scans/s "
          f"(ratio to /health: {result['scans_per_second'] / result['health_rps']:.3f})")
    for kind, figures in result["latency"].items():
        print(f"  {kind:12s} n={figures['n']:6d}  p50 {figures['p50'] * 1000:7.1f} ms  "
              f"p95 {figures['p95'] * 1000:7.1f} ms  max {figures['max'] * 1000:7.1f} ms")
    print(f"errors: {len(result['errors'])}; visits not entered exactly once: {result['visits_not_entered_once']}; "
          f"duplicate accepted scans: {result['duplicate_scans']}; visits completed: "
          f"{result['visits_completed']}/{result['teams']}")
    for line in result["errors"][:10]:
        print("  ", line)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--firms", type=int, default=600)
    parser.add_argument("--health-requests", type=int, default=20000)
    parser.add_argument("--record-views", type=int, default=10)
    parser.add_argument("--database-url", default="postgresql://postgres:postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="bench_load")
    args = parser.parse_args(argv)
    local = clock.local_now()
    if not is_working_time(local):
        # The door is closed at night and at weekends: run the drill day on the next working morning
        # (the served platform's clock starts there too, through INSPECTION_NOW).
        clock.start_at(clock.from_local(next_working_morning(local)))
        print(f"clock set to {clock.local_now():%Y-%m-%d %H:%M} (local): {local:%Y-%m-%d %H:%M} is outside working hours")
    scoped, visits, record_users = prepare(args.database_url, args.schema, args.firms)
    print(f"today's confirmed visits: {len(visits)}; firm accounts: {len(record_users)}")
    result = measure(scoped, visits, record_users, args)
    report(result)
    ok = not result["errors"] and not result["visits_not_entered_once"] and not result["duplicate_scans"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
