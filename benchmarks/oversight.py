"""Oversight at scale: the dashboard's figures and every audit rule on 1,000,000 visits and
5,000,000 events in PostgreSQL, median of several runs.

    python -m benchmarks.oversight [--visits 1000000] [--events 5000000] [--runs 3]
                                   [--database-url postgresql://postgres:postgres@127.0.0.1:5432/test]

The data are generated inside PostgreSQL (INSERT ... SELECT generate_series) in a scratch schema
that is dropped at the end: 100,000 firms, 3,000 officers, 400 plans, one task, one entry, two scans,
two team members and one outcome per visit, evaluations for 30% of visits, a share of refused scans.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time

from sqlalchemy import text

from inspection import kpis
from inspection.db import make_engine, make_session_factory, upgrade
from inspection.demo.city import catalogue_path
from inspection.operations import alerts
from inspection.operations.catalogue import load_catalogue_file
from inspection.operations.reference import load_city

GENERATE = [
    ("firms", """insert into firms (uscc, name, district_id, industry, credit_class, address)
        select '9137050' || lpad(n::text, 11, '0'), '企业' || n, (select min(id) from districts) + n % 7,
               (array['餐饮服务','食品销售','化工','机械制造','住宿','批发零售'])[1 + n % 6],
               (array['A','B','B','C','D'])[1 + n % 5], '' from generate_series(1, :firms) n"""),
    ("users", """insert into users (username, display_name, password_hash, role, active, created_at)
        values ('bench', 'bench', 'x', 'admin', true, now())"""),
    ("officers", """insert into officers (certificate_no, name, department_id, valid_from, valid_to, active,
        qualifications, kind)
        select 'B' || lpad(n::text, 9, '0'), '执法员' || n, (select min(id) from departments) + n % 8,
               date '2020-01-01', date '2030-12-31', true, '[]', 'enforcement' from generate_series(1, :officers) n"""),
    ("plans", """insert into inspection_plans (department_id, title, period_start, period_end, status, created_by_id,
        created_at, ratios, target_districts, target_industries, target_tags, officer_pool, officers_needed)
        select (select min(id) from departments) + p % 8, '计划' || p, date '2025-01-01' + (p % 24) * 30,
               date '2025-01-01' + (p % 24) * 30 + 29, 'completed', (select id from users where username = 'bench'),
               now(), '{}', '[]', '[]', '[]', '[]', 2 from generate_series(0, :plans - 1) p"""),
    ("plan items", """insert into plan_items (plan_id, item_id)
        select p.id, (select min(i.id) from catalogue_items i where i.department_id = p.department_id
                      and i.status = 'published' and i.frequency_period = 'year')
        from inspection_plans p"""),
    ("visits", """insert into visits (id, firm_id, day, status, locked, created_at)
        select v, (select min(id) from firms) + (v / :plans) % :firms,
               date '2025-01-01' + ((v % :plans) % 24) * 30 + (v % 29), 'completed', false, now()
        from generate_series(1, :visits) v"""),
    ("tasks", """insert into inspection_tasks (plan_id, firm_id, status, on_site, window_start, window_end, visit_id)
        select (select min(id) from inspection_plans) + v % :plans, (select min(id) from firms) + (v / :plans) % :firms,
               'done', true, date '2025-01-01' + ((v % :plans) % 24) * 30, date '2025-01-01' + ((v % :plans) % 24) * 30 + 29, v
        from generate_series(1, :visits) v"""),
    ("entries", """insert into visit_entries (visit_id, entered_at, left_at, code_nonce)
        select id, day + time '02:00', day + time '03:10', 'x' from visits"""),
    ("team", """insert into visit_officers (visit_id, officer_id, department_id)
        select v.id, o.id, o.department_id from visits v
        join inspection_tasks t on t.visit_id = v.id join inspection_plans p on p.id = t.plan_id
        cross join lateral (select id, department_id from officers where department_id = p.department_id
                            order by id offset (v.id % 300) limit 2) o"""),
    ("scans", """insert into scans (kind, firm_id, officer_id, visit_id, at, accepted)
        select 'in', v.firm_id, vo.officer_id, v.id, v.day + time '02:00', true
        from visits v join visit_officers vo on vo.visit_id = v.id"""),
    ("refused scans", """insert into scans (kind, firm_id, officer_id, at, accepted, reason)
        select 'in', (select min(id) from firms) + n % :firms, (select min(id) from officers) + n % :officers,
               timestamp '2026-01-01' + n * interval '1 minute', false, '今天没有您参与的已确认检查'
        from generate_series(1, :visits / 100) n"""),
    ("outcomes", """insert into item_outcomes (visit_id, task_id, item_id, outcome, recorded_at, publish_due, published_at)
        select t.visit_id, t.id, pi.item_id, 'no_problem', v.day, v.day + 28,
               case when t.id % 20 = 0 then null else v.day + 10 end
        from inspection_tasks t join visits v on v.id = t.visit_id join plan_items pi on pi.plan_id = t.plan_id"""),
    ("evaluations", """insert into evaluations (visit_id, firm_id, score, comment, complaint, by_user_id, at)
        select v.id, v.firm_id, 1 + v.id % 5, '', case when v.id % 97 = 0 then 'excessive' end,
               (select id from users where username = 'bench'), v.day + 1
        from visits v where v.id % 10 < 3"""),
    ("clear log", "delete from events"),
    ("events", """insert into events (seq, at, kind, actor, subject, payload, prev, hash)
        select n, timestamp '2025-01-01' + n * interval '6 seconds', 'bench.event', 'system', 'bench:' || n, '{}',
               md5((n - 1)::text) || md5((n - 1)::text || 'x'), md5(n::text) || md5(n::text || 'x')
        from generate_series(1, :events) n"""),
    ("analyze", "analyze"),
]


def median_seconds(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="postgresql://postgres:postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="bench_oversight")
    args = parser.parse_args()
    admin = make_engine(args.database_url)
    with admin.begin() as connection:
        connection.execute(text(f"drop schema if exists {args.schema} cascade"))
        connection.execute(text(f"create schema {args.schema}"))
    engine = make_engine(args.database_url, connect_args={"options": f"-csearch_path={args.schema}"})
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            load_city(session, None)
            load_catalogue_file(session, None, catalogue_path())
            session.commit()
        sizes = {"firms": 100_000, "officers": 3_000, "plans": 400, "visits": args.visits, "events": args.events}
        with engine.begin() as connection:
            for label, sql in GENERATE:
                started = time.perf_counter()
                connection.execute(text(sql), {k: v for k, v in sizes.items() if f":{k}" in sql})
                print(f"generated {label:<14} {time.perf_counter() - started:7.1f} s", file=sys.stderr)
            connection.execute(text("update event_head set seq = :n, hash = md5(cast(:n as text)) || md5(cast(:n as text) || 'x')"),
                               {"n": args.events})
        today = dt.date(2026, 12, 31)
        with factory() as session:
            counts = session.execute(text("select (select count(*) from visits), (select count(*) from events)")).one()
            print(f"\nPostgreSQL, {counts[0]:,} visits and {counts[1]:,} events; median of {args.runs} runs\n")
            scope, department = kpis.Scope(2026), kpis.Scope(2026, department="market", district="370502")
            checks = {
                "dashboard: monthly entries (city)": lambda: kpis.monthly_entries(session, scope),
                "dashboard: monthly entries (department+district)": lambda: kpis.monthly_entries(session, department),
                "dashboard: entries by department": lambda: kpis.entries_by_department(session, scope),
                "dashboard: joint share": lambda: kpis.joint_share(session, scope),
                "dashboard: publication rate": lambda: kpis.publication_rate(session, scope, today),
                "dashboard: on-time completion": lambda: kpis.on_time_rate(session, scope, today),
                "dashboard: average evaluation": lambda: kpis.average_evaluation(session, scope),
                "dashboard: entries per firm by class": lambda: kpis.entries_per_firm(session, scope),
                "rule: over cap": lambda: list(alerts.over_cap(session)),
                "rule: refused scans": lambda: list(alerts.refused_scans(session)),
                "rule: under-staffed visits": lambda: list(alerts.under_staffed(session)),
                "rule: uncombined visits": lambda: list(alerts.uncombined(session)),
                "rule: unpublished results": lambda: list(alerts.unpublished(session, today)),
                "rule: late plans": lambda: list(alerts.late_plans(session, today)),
                "rule: low evaluations": lambda: list(alerts.low_evaluations(session)),
            }
            print(f"{'query':<52}{'seconds':>9}  under 2 s")
            for label, run in checks.items():
                seconds = median_seconds(run, args.runs)
                print(f"{label:<52}{seconds:>9.2f}  {'yes' if seconds < 2 else 'NO'}", flush=True)
                session.rollback()
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"drop schema if exists {args.schema} cascade"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
