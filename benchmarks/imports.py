"""Import benchmark: 100,000 firms from a CSV file, then the same file again.

    python -m benchmarks.imports [--firms 100000] [--database-url URL] [--schema bench_imports]

Generates a firms file in the public import format (valid unified social credit codes,
districts given by code or by name, tags, addresses), imports it into a fresh database with
a progress bar, timing validation (reading and checking the file), staging (COPY into a temporary
table on PostgreSQL), comparing and merging separately,
then imports the same file again (every row unchanged) and a copy with one row in ten
changed. Without ``--database-url`` the database is a temporary SQLite file; with a
PostgreSQL URL everything happens in a scratch schema that is dropped at the end.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text
from tqdm import tqdm

from inspection.db import make_engine, make_session_factory, upgrade
from inspection.models import District, Firm, FirmTag
from inspection.operations.imports import import_firms
from inspection.operations.reference import load_city
from inspection.pure.imports import FIRM_COLUMNS
from inspection.pure.uscc import ALPHABET, make_uscc

INDUSTRIES = {"食品制造": ["食品生产"], "餐饮服务": ["餐饮", "人员密集"], "化工": ["危化品", "重点排污"],
              "建筑施工": ["建筑工地"], "批发零售": [], "住宿": ["人员密集", "公共场所"], "交通运输": ["道路运输"],
              "制造业": ["劳动密集"]}
CLASSES, CLASS_WEIGHTS = "ABCD", (30, 50, 15, 5)


class Stages:
    """A progress callback drawing one tqdm bar per stage and timing each stage."""

    def __init__(self):
        self.bar: tqdm | None = None
        self.stage: str | None = None
        self.started = time.perf_counter()
        self.marks: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.marks[stage] = time.perf_counter()
            if self.bar is not None:
                self.bar.close()
            self.bar = tqdm(total=total, desc=stage, unit="行", file=sys.stderr, leave=False)
            self.stage = stage
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> dict[str, float]:
        """Seconds spent validating (reading included), staging the rows in the database (COPY on
        PostgreSQL), comparing them with the firms there, and merging them in."""
        ended = time.perf_counter()
        if self.bar is not None:
            self.bar.close()
        write = self.marks.get("写入", ended)
        compare = self.marks.get("比对", write)
        stage = self.marks.get("暂存", compare)
        return {"validate": stage - self.started, "stage": compare - stage, "compare": write - compare,
                "write": ended - write}


def generate(path: Path, count: int, districts: list[tuple[str, str]], seed: int = 20260301) -> list[list[str]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    rows = []
    industries = list(INDUSTRIES)
    while len(rows) < count:
        code, name = rng.choice(districts)
        uscc = make_uscc("9", "1", code, "".join(rng.choices(ALPHABET, k=8)))
        if uscc in seen:
            continue
        seen.add(uscc)
        industry = rng.choice(industries)
        tags = [t for t in INDUSTRIES[industry] if rng.random() < 0.6]
        n = len(rows) + 1
        rows.append([uscc, f"东营测试{n:06d}{industry}有限公司", code if n % 2 else name, industry,
                     rng.choices(CLASSES, CLASS_WEIGHTS)[0], ";".join(tags),
                     f"山东省东营市{name}测试路{rng.randint(1, 999)}号"])
    write(path, rows)
    return rows


def write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIRM_COLUMNS)
        writer.writerows(rows)


def run(factory, path: Path, label: str) -> dict:
    with factory() as session:
        stages = Stages()
        counts = import_firms(session, None, path, progress=stages)
        times = stages.close()
        started = time.perf_counter()
        session.commit()
        times["commit"] = time.perf_counter() - started
    total = sum(times.values())
    rate = counts["rows"] / total if total else 0.0
    print(f"{label:<26}{times['validate']:>10.2f}{times['stage']:>8.2f}{times['compare']:>9.2f}{times['write']:>8.2f}"
          f"{times['commit']:>8.2f}{total:>8.2f}{rate:>10,.0f}   "
          f"created {counts['created']}, updated {counts['updated']}, unchanged {counts['unchanged']}", flush=True)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--database-url", help="a PostgreSQL (or SQLite) URL; default: a temporary SQLite file")
    parser.add_argument("--schema", default="bench_imports",
                        help="PostgreSQL: the scratch schema, created and dropped by the benchmark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        admin = None
        if url.startswith("sqlite"):
            engine = make_engine(url)
        else:
            admin = make_engine(url)
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE'))
                connection.execute(text(f'CREATE SCHEMA "{args.schema}"'))
            engine = make_engine(url, connect_args={"options": f"-csearch_path={args.schema}"})
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            with factory() as session:
                load_city(session, None)
                session.commit()
                districts = [tuple(r) for r in session.execute(select(District.code, District.name)
                                                               .order_by(District.code))]
                before = session.scalar(select(func.count(Firm.id)))

            started = time.perf_counter()
            path = folder / "firms.csv"
            rows = generate(path, args.firms, districts)
            print(f"database: {engine.dialect.name}{' (schema ' + args.schema + ')' if admin else ''}; "
                  f"file: {args.firms:,} firms, {path.stat().st_size / 1e6:.1f} MB, "
                  f"generated in {time.perf_counter() - started:.1f} s\n")
            print(f"{'seconds':<26}{'validate':>10}{'stage':>8}{'compare':>9}{'write':>8}{'commit':>8}{'total':>8}"
                  f"{'rows/s':>10}")
            run(factory, path, "first import")
            run(factory, path, "same file again")
            rng = random.Random(7)
            for row in rows:
                if rng.random() < 0.1:
                    row[4] = CLASSES[(CLASSES.index(row[4]) + 1) % 4]
                    row[5] = "" if row[5] else "抽查重点"
            changed = folder / "firms-changed.csv"
            write(changed, rows)
            run(factory, changed, "one row in ten changed")

            with factory() as session:
                firms = session.scalar(select(func.count(Firm.id))) - before
                tags = session.scalar(select(func.count()).select_from(FirmTag))
            print(f"\nfirms in the database: {firms:,} (no duplicates: {firms == args.firms}); tag rows: {tags:,}")
        finally:
            engine.dispose()
            if admin is not None:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE'))
                admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
