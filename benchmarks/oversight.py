"""Oversight at scale: the dashboard's figures and every audit rule on 1,000,000 visits and
5,000,000 events in PostgreSQL, median of several runs.

    python -m benchmarks.oversight [--visits 1000000] [--events 5000000] [--runs 3]
                                   [--database-url postgresql://postgres:postgres@127.0.0.1:5432/test]
                                   [--keep] [--reuse] [--save FILE] [--before FILE]

The data are generated inside PostgreSQL (INSERT ... SELECT generate_series) in a scratch schema
that is dropped at the end (kept with --keep, re-timed with --reuse): ten years (2017-2026) of a city
with 100,000 firms, 3,000 officers and forty one-month plans a year of eight departments, each drawing
about 2,500 firms at random: 100,000 visits a year, a fifth of them joint, each entered, with two
officers per department, their scans and one outcome per department; evaluations for 30% of visits,
refused scans, 5,000,000 log events. Oversight's facts are then made from these records. The
dashboard is timed for 2026; the audit rules over their window (2025-2026), refreshing every alert
(a first run, rolled back) and, once, the heaviest rules over all ten years.

Before and after side by side: time one version with ``--keep --save before.json``, then the other
with ``--reuse --before before.json`` (``--reuse`` migrates the kept schema first); each line then shows
both timings and whether the query returned the same (a digest of its result, floats to 9 digits).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import statistics
import sys
import time
import types
from pathlib import Path

from sqlalchemy import text

from inspection.db import make_engine, make_session_factory, upgrade
from inspection.demo.city import catalogue_path
from inspection.operations import alerts
from inspection.operations.catalogue import load_catalogue_file
from inspection.operations.facts import rebuild_facts
from inspection.operations.reference import load_city
from inspection.queries import kpis

PERIOD_START = "make_date(2017 + {p} / 40, 1 + (7 * ({p} % 40)) % 12, 1)"
PERIOD_END = "cast(" + PERIOD_START + " + interval '1 month' - interval '1 day' as date)"

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
               date '2016-01-01', date '2030-12-31', true, '[]', 'enforcement' from generate_series(1, :officers) n"""),
    # Forty plans a year from 2017 to 2026 (400 in all), five per department, each for one month; plans
    # of several departments share each month.
    ("plans", f"""insert into inspection_plans (department_id, title, period_start, period_end, status,
        created_by_id, created_at, ratios, target_districts, target_industries, target_tags, officer_pool, officers_needed)
        select (select min(id) from departments) + (p % 40) % 8, '计划' || p, {PERIOD_START.format(p="p")},
               {PERIOD_END.format(p="p")}, 'completed', (select id from users where username = 'bench'),
               now(), '{{}}', '[]', '[]', '[]', '[]', 2 from generate_series(0, :plans - 1) p"""),
    ("plan items", """insert into plan_items (plan_id, item_id)
        select p.id, (select min(i.id) from catalogue_items i where i.department_id = p.department_id
                      and i.status = 'published' and i.frequency_period = 'year')
        from inspection_plans p"""),
    # Each plan draws about 2,500 firms at random (one task a firm and plan); a fifth of the visits are
    # joint with another department's plan of the same month.
    ("visit plans", """create temporary table bench_visits on commit drop as
        select row_number() over (order by n) as v, p, f,
               (p / 40) * 40 + case when p % 40 + 12 < 40 then p % 40 + 12 else p % 40 - 12 end as joint_p
        from (select distinct on (p, f) n, p, f
              from (select n, n % :plans as p, abs(hashtext(n::text || 'firm')) % :firms as f
                    from generate_series(1, :visits * 103 / 100) n) g order by p, f, n) d
        order by n limit :visits"""),
    ("visits", f"""insert into visits (id, firm_id, day, status, locked, created_at)
        select v, (select min(id) from firms) + f, {PERIOD_START.format(p="p")} + (v % 28)::int, 'completed', false, now()
        from bench_visits"""),
    ("tasks", f"""insert into inspection_tasks (plan_id, firm_id, status, on_site, window_start, window_end, visit_id)
        select (select min(id) from inspection_plans) + plan, (select min(id) from firms) + f, 'done', true,
               {PERIOD_START.format(p="plan")}, {PERIOD_END.format(p="plan")}, v
        from (select v, f, p as plan from bench_visits
              union all select v, f, joint_p from bench_visits where v % 5 = 0) t
        on conflict do nothing"""),
    ("entries", """insert into visit_entries (visit_id, entered_at, left_at, code_nonce)
        select id, day + time '02:00', day + time '03:10', 'x' from visits"""),
    ("team", """insert into visit_officers (visit_id, officer_id, department_id)
        select t.visit_id, (select min(id) from officers) - 1 + d + 8 * (1 + t.visit_id % 300 + j), p.department_id
        from inspection_tasks t join inspection_plans p on p.id = t.plan_id
        cross join lateral (select p.department_id - (select min(id) from departments) as d) dept
        cross join (values (0), (1)) pair(j)"""),
    ("scans", """insert into scans (kind, firm_id, officer_id, visit_id, at, accepted)
        select 'in', v.firm_id, vo.officer_id, v.id, v.day + time '02:00', true
        from visits v join visit_officers vo on vo.visit_id = v.id"""),
    ("refused scans", """insert into scans (kind, firm_id, officer_id, at, accepted, reason)
        select 'in', (select min(id) from firms) + n % :firms, (select min(id) from officers) + n % :officers,
               timestamp '2017-01-01' + n * interval '525 minutes', false, '今天没有您参与的已确认检查'
        from generate_series(1, :visits / 100) n"""),
    ("outcomes", """insert into item_outcomes (visit_id, task_id, item_id, outcome, recorded_at, publish_due, published_at)
        select t.visit_id, t.id, pi.item_id, 'no_problem', v.day, v.day + 28,
               case when t.id % 33 = 0 then null else v.day + 10 end
        from inspection_tasks t join visits v on v.id = t.visit_id join plan_items pi on pi.plan_id = t.plan_id"""),
    ("evaluations", """insert into evaluations (visit_id, firm_id, score, comment, complaint, by_user_id, at)
        select v.id, v.firm_id, case when v.id % 100 < 2 then 1 when v.id % 100 < 5 then 2 when v.id % 100 < 15 then 3
                                     when v.id % 100 < 45 then 4 else 5 end,
               '', case when v.id % 200 = 0 then 'excessive' end,
               (select id from users where username = 'bench'), v.day + 1
        from visits v where v.id % 10 < 3"""),
    ("clear log", "delete from events"),
    ("events", """insert into events (seq, at, kind, actor, subject, payload, prev, hash)
        select n, timestamp '2017-01-01' + n * interval '63 seconds', 'bench.event', 'system', 'bench:' || n, '{}',
               md5((n - 1)::text) || md5((n - 1)::text || 'x'), md5(n::text) || md5(n::text || 'x')
        from generate_series(1, :events) n"""),
    ("analyze", "analyze"),
]


def dashboard_figures(session, scope, today) -> list:
    """What the dashboard page computes (web/views/oversight.py, dashboard)."""
    last_year = kpis.Scope(scope.year - 1, scope.department, scope.district)
    return [kpis.monthly_entries(session, scope), kpis.monthly_entries(session, last_year),
            kpis.entries_by_department(session, scope), kpis.joint_share(session, scope),
            kpis.entries_by_district(session, scope), kpis.department_figures(session, scope),
            kpis.publication_rate(session, scope, today), kpis.on_time_rate(session, scope, today),
            kpis.average_evaluation(session, scope), kpis.entries_per_firm(session, scope),
            kpis.entries_avoided(session, scope)]


def median_seconds(run, runs: int) -> tuple[float, object]:
    """The median time of ``runs`` runs, and what the last run returned (rules: their cases listed)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        if isinstance(result, types.GeneratorType):
            result = list(result)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def fingerprint(result) -> str:
    """A digest of what a query returned (a rule's cases in key order), to compare two runs' figures."""
    if isinstance(result, list) and result and isinstance(result[0], tuple) and isinstance(result[0][0], str) \
            and ":" in result[0][0]:
        result = sorted(result, key=lambda case: case[0])

    def plain(value):
        if dataclasses.is_dataclass(value):
            return dataclasses.asdict(value)
        return str(value)

    def rounded(value):  # a share summed in another order may differ in its last bits
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [rounded(v) for v in value]
        return value
    text_ = json.dumps(rounded(json.loads(json.dumps(result, default=plain, sort_keys=True))), sort_keys=True,
                       ensure_ascii=False)
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def generate(engine, factory, args) -> None:
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
    started = time.perf_counter()
    with factory() as session:  # the records were written past the operations: make oversight's facts from them
        rows = rebuild_facts(session)
        session.commit()
    # As autovacuum leaves a database after loading: statistics made, pages marked all-visible.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("vacuum analyze"))
    print(f"generated {'entry facts':<14} {time.perf_counter() - started:7.1f} s ({rows[0]:,} + {rows[1]:,} rows)",
          file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="postgresql://postgres:postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="bench_oversight")
    parser.add_argument("--keep", action="store_true", help="keep the generated schema for another run")
    parser.add_argument("--reuse", action="store_true", help="time the queries on a schema kept by --keep")
    parser.add_argument("--save", help="write the timings and a digest of every query's result to this JSON file")
    parser.add_argument("--before", help="a file written by --save (e.g. on the previous version, with --keep): "
                        "print its timings beside these and say whether every query returns the same")
    args = parser.parse_args()
    admin = make_engine(args.database_url)
    if not args.reuse:
        with admin.begin() as connection:
            connection.execute(text(f"drop schema if exists {args.schema} cascade"))
            connection.execute(text(f"create schema {args.schema}"))
    engine = make_engine(args.database_url, connect_args={"options": f"-csearch_path={args.schema}"})
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        if not args.reuse:
            generate(engine, factory, args)
        today = dt.date(2026, 12, 31)
        with factory() as session:
            counts = session.execute(text("select (select count(*) from visits), (select count(*) from events)")).one()
            print(f"\nPostgreSQL, {counts[0]:,} visits and {counts[1]:,} events; median of {args.runs} runs\n")
            scope, department = kpis.Scope(2026), kpis.Scope(2026, department="market", district="370502")
            since = alerts.audit_start(today)
            checks = {
                "dashboard: monthly entries (city)": lambda: kpis.monthly_entries(session, scope),
                "dashboard: monthly entries (department+district)": lambda: kpis.monthly_entries(session, department),
                "dashboard: entries by department": lambda: kpis.entries_by_department(session, scope),
                "dashboard: entries by district": lambda: kpis.entries_by_district(session, scope),
                "dashboard: departments against the baseline": lambda: kpis.department_figures(session, scope),
                "dashboard: joint share": lambda: kpis.joint_share(session, scope),
                "dashboard: publication rate": lambda: kpis.publication_rate(session, scope, today),
                "dashboard: on-time completion": lambda: kpis.on_time_rate(session, scope, today),
                "dashboard: average evaluation": lambda: kpis.average_evaluation(session, scope),
                "dashboard: entries per firm by class": lambda: kpis.entries_per_firm(session, scope),
                "dashboard page: every figure it shows": lambda: dashboard_figures(session, scope, today),
                "rule: over cap": lambda: list(alerts.over_cap(session, since)),
                "rule: refused scans": lambda: list(alerts.refused_scans(session, since)),
                "rule: under-staffed visits": lambda: list(alerts.under_staffed(session, since)),
                "rule: uncombined visits": lambda: list(alerts.uncombined(session, since)),
                "rule: unpublished results": lambda: list(alerts.unpublished(session, today, since)),
                "rule: late plans": lambda: list(alerts.late_plans(session, today, since)),
                "rule: low evaluations": lambda: list(alerts.low_evaluations(session, since)),
                "rule: case although no penalty applied": lambda: list(alerts.lenient_cases(session)),
                "rule: profit-driven growth": lambda: list(alerts.profit_driven(session, today)),
                "rule: repeated heavier treatment": lambda: list(alerts.heavier_repeats(session)),
            }
            checks["refresh every alert (audit window)"] = lambda: alerts.refresh_alerts(session, today=today)
            before = json.loads(Path(args.before).read_text()) if args.before else {}
            saved = {"visits": counts[0], "events": counts[1], "seconds": {}, "results": {}}
            print(f"{'query':<52}" + (f"{'before':>9}" if before else "") + f"{'seconds':>9}  under 0.3 s"
                  + ("  same figures" if before else ""))
            for label, run in checks.items():
                seconds, result = median_seconds(run, 1 if label.startswith("refresh") else args.runs)
                session.rollback()
                saved["seconds"][label], saved["results"][label] = seconds, fingerprint(result)
                line = f"{label:<52}"
                if before:
                    line += f"{before['seconds'][label]:>9.2f}" if label in before["seconds"] else f"{'':>9}"
                line += f"{seconds:>9.2f}  {'yes' if seconds < 0.3 else 'NO':<11}"
                if before and label in before["results"]:
                    line += "  " + ("yes" if before["results"][label] == saved["results"][label] else "DIFFERENT")
                print(line, flush=True)
            started = time.perf_counter()
            found = {rule: len(list(cases)) for rule, cases in (
                ("over cap", alerts.over_cap(session, dt.date(2017, 1, 1))),
                ("uncombined", alerts.uncombined(session, dt.date(2017, 1, 1))),
                ("under-staffed", alerts.under_staffed(session, dt.date(2017, 1, 1))),
                ("low evaluations", alerts.low_evaluations(session, dt.date(2017, 1, 1))))}
            print(f"\nthe four heaviest rules over all ten years, once: {time.perf_counter() - started:.2f} s "
                  f"({', '.join(f'{k} {v:,}' for k, v in found.items())} cases)")
            in_window = {"over cap": len(list(alerts.over_cap(session, since))),
                         "uncombined": len(list(alerts.uncombined(session, since)))}
            print(f"cases in the audit window from {since}: " + ", ".join(f"{k} {v:,}" for k, v in in_window.items()))
            if args.save:
                Path(args.save).write_text(json.dumps(saved, indent=1, sort_keys=True))
    finally:
        engine.dispose()
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(text(f"drop schema if exists {args.schema} cascade"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
