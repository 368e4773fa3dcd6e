"""Draw benchmark: how many firm entries coordinated draws save, and rotation repeats.

    python -m benchmarks.draws [--firms 6000] [--reps 5]     (from the repository root)

On the demo city, every department files one plan for the same quarter on its
random-method items (ratios A 3%, B 5%, C 10%, D 20%). Printed side by side:

- per-department: every department visits its own selection (sum of selections);
- independent: each plan draws on its own seed, visits to the same firm combined;
- coordinated: one joint campaign, one seed, visits combined;
- bound: sum over firms of the largest inclusion probability any plan gives it,
  which no draw at these ratios can beat in expectation.

Then five yearly periods of one recurring plan (10% of every class), drawn with and
without rotation, and the firms drawn more than once.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml
from sqlalchemy import select

from inspection.db import make_engine, make_session_factory, upgrade
from inspection.demo.approvals import approve_filed
from inspection.demo.city import build_demo_city, catalogue_path
from inspection.models import CatalogueItem, Department, User
from inspection.operations.catalogue import load_catalogue_file
from inspection.operations.draws import draw_campaign, draw_plan
from inspection.operations.plans import create_campaign, create_plan, file_plan

RATIOS = {"A": 0.03, "B": 0.05, "C": 0.10, "D": 0.20}
QUARTER = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))


def open_ended_catalogue(folder: Path) -> Path:
    """The shipped catalogue without an end date, so that plans may span several years."""
    data = yaml.safe_load(catalogue_path().read_text(encoding="utf-8"))
    data["version"], data["effective_to"] = "bench-open-ended", None
    path = folder / "catalogue-open.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def department_plans(session, accounts, campaign=None):
    plans = []
    for user in accounts:
        codes = session.scalars(select(CatalogueItem.code).where(
            CatalogueItem.department_id == user.department_id, CatalogueItem.status == "published",
            CatalogueItem.method == "random")).all()
        plan = create_plan(session, user, title=f"{user.department.short_name}二季度双随机抽查", period_start=QUARTER[0],
                           period_end=QUARTER[1], item_codes=list(codes), ratios=RATIOS, campaign=campaign)
        file_plan(session, user, plan)
        approve_filed(session, plan)
        plans.append(plan)
    return plans


def measure(records: list[dict]) -> dict:
    per_department = sum(len(r["selected"]) for r in records)
    distinct = len({code for r in records for code in r["selected"]})
    best: dict[str, float] = defaultdict(float)
    for r in records:
        size = defaultdict(int)
        chosen = defaultdict(int)
        selected = set(r["selected"])
        for e in r["pool"]:
            size[e["class"]] += 1
            chosen[e["class"]] += e["uscc"] in selected
        for e in r["pool"]:
            best[e["uscc"]] = max(best[e["uscc"]], chosen[e["class"]] / size[e["class"]])
    return {"per_department": per_department, "distinct": distinct, "bound": sum(best.values())}


def rotation_repeats(session, user, item_code: str, rotate: bool) -> tuple[int, int]:
    seen: set[str] = set()
    repeats = drawn = 0
    for year in range(2026, 2031):
        plan = create_plan(session, user, title=f"{year}年度抽查", period_start=dt.date(year, 3, 1),
                           period_end=dt.date(year, 3, 31), item_codes=[item_code],
                           ratios={c: 0.10 for c in RATIOS}, series="rotation-bench" if rotate else None)
        file_plan(session, user, plan)
        approve_filed(session, plan)
        selected = draw_plan(session, user, plan)[0].record["selected"]
        repeats += sum(code in seen for code in selected)
        drawn += len(selected)
        seen.update(selected)
    return repeats, drawn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=6000)
    parser.add_argument("--reps", type=int, default=5, help="draws of each kind, each on fresh seeds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        session = make_session_factory(engine)()
        started = time.perf_counter()
        build_demo_city(session, seed=20260301, firms=args.firms, plans=False)
        load_catalogue_file(session, None, open_ended_catalogue(Path(folder)))
        session.commit()
        print(f"demo city: {args.firms} firms, built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        accounts = session.scalars(select(User).join(Department, User.department_id == Department.id)
                                   .where(User.role == "department").order_by(Department.id)).all()

        rows = defaultdict(list)
        for _ in range(args.reps):
            with session.begin_nested() as savepoint:
                plans = department_plans(session, accounts)
                records = [draw_plan(session, p.created_by, p)[0].record for p in plans]
                rows["independent"].append(measure(records))
                savepoint.rollback()
            with session.begin_nested() as savepoint:
                campaign = create_campaign(session, accounts[0], title="二季度联合抽查", period_start=QUARTER[0],
                                           period_end=QUARTER[1])
                plans = department_plans(session, accounts, campaign)
                records = [d.record for d in draw_campaign(session, accounts[0], campaign)]
                rows["coordinated"].append(measure(records))
                savepoint.rollback()

        def mean(kind, key):
            return statistics.fmean(r[key] for r in rows[kind])

        per_department = mean("independent", "per_department")
        bound = mean("coordinated", "bound")
        print(f"\nDraws on the demo city: {len(accounts)} departments, one plan each, ratios {RATIOS}, "
              f"mean of {args.reps} draws\n")
        print(f"{'draw':<28}{'firm entries':>14}{'vs bound':>11}{'cut vs per-dept':>17}")
        print(f"{'per-department visits':<28}{per_department:>14.1f}{per_department / bound - 1:>+11.1%}{'':>17}")
        for kind, label in (("independent", "independent, combined"), ("coordinated", "coordinated (one seed)")):
            value = mean(kind, "distinct")
            print(f"{label:<28}{value:>14.1f}{value / bound - 1:>+11.1%}{1 - value / per_department:>17.1%}")
        print(f"{'bound (sum of max p)':<28}{bound:>14.1f}")
        independent, coordinated = mean("independent", "distinct"), mean("coordinated", "distinct")
        extra_independent, extra_coordinated = independent - bound, coordinated - bound
        print(f"\nentries above the bound: independent {extra_independent:.1f}, coordinated {extra_coordinated:.1f}; "
              f"coordination removes {1 - extra_coordinated / extra_independent:.1%} of the independent excess "
              f"and {1 - coordinated / independent:.1%} of the independent entries")

        user = next(u for u in accounts if u.department.code == "market")
        print("\nRotation: one recurring plan (item SC-002, 10% of each class), five yearly periods, "
              "the firm population unchanged")
        print(f"{'':<18}{'drawn':>8}{'repeats':>9}")
        for rotate in (False, True):
            with session.begin_nested() as savepoint:
                repeats, drawn = rotation_repeats(session, user, "SC-002", rotate)
                savepoint.rollback()
            print(f"{'with rotation' if rotate else 'without rotation':<18}{drawn:>8}{repeats:>9}")
        session.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
