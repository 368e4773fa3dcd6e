"""The narrow tables oversight counts and audits (``EntryFact``, ``EntryItemFact``, and ``EntryCount``
which counts the first).

Every operation that enters a visit, adds a scan to an entered visit or changes an entered
visit's tasks calls :func:`refresh_visit_facts`; :func:`rebuild_facts` makes both tables
again from the records (after a bulk import, or to check that they are in step).

A session may put its refreshes off until it commits (:func:`refresh_after_commit`): the scan at the
door then only notes the visit, and whoever commits the session hands the noted visits to
:func:`refresh_due` (the web runs it as a job after the commit, or within the commit when jobs run
inline). A refresh makes a visit's rows from what is committed, so a visit refreshed twice, or late,
ends with the same rows."""
from __future__ import annotations

import functools
import types
from collections import Counter, defaultdict

from sqlalchemy import Integer, Select, String, and_, bindparam, case, cast, delete, func, insert, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import FunctionElement

from ..models import (
    ENTRY_COUNT_KEY,
    CatalogueItem,
    DepartmentEntry,
    EntryCount,
    EntryFact,
    EntryFirmCount,
    EntryItemCount,
    EntryItemFact,
    Firm,
    InspectionPlan,
    InspectionTask,
    Officer,
    Scan,
    UncombinedPair,
    Visit,
    VisitEntry,
    plan_items,
)


class day_ordinal(FunctionElement):  # noqa: N801 - reads as a SQL function
    """A date's ``toordinal()`` computed in the database."""

    type = Integer()
    inherit_cache = True


@compiles(day_ordinal)
def _day_ordinal_default(element, compiler, **kw):
    return f"(({compiler.process(list(element.clauses)[0], **kw)} - DATE '0001-01-01') + 1)"


@compiles(day_ordinal, "sqlite")
def _day_ordinal_sqlite(element, compiler, **kw):
    return f"CAST(julianday({compiler.process(list(element.clauses)[0], **kw)}) - 1721424.5 AS INTEGER)"


UNCOMBINED_DAYS = 30         # two departments entering within this many days could have come together


def uncombined_pairs(days: int = UNCOMBINED_DAYS, *, step: int | None = None, visit: Visit | None = None,
                     since_number: int | None = None) -> Select:
    """Pairs of entered visits of one firm by different departments within ``days`` days whose windows
    overlapped, one row each: first and second visit, firm, their days, the first's day number, the
    step between their buckets of ``days + 1`` days (0 or 1) and the second's first such department.
    ``step`` joins on equal buckets (a bulk count: the work grows with the entries, not with the square
    of each firm's), ``visit`` keeps the pairs of one visit, ``since_number`` those from that day."""
    width = days + 1
    a, b = aliased(EntryFact, name="a"), aliased(EntryFact, name="b")
    gap = b.day_number - a.day_number
    on = b.firm_id == a.firm_id
    if step is not None:
        on = and_(on, b.day_number // width == a.day_number // width + step)
    stmt = (select(a.visit_id.label("first"), b.visit_id.label("second"), a.firm_id, a.day.label("first_day"),
                   b.day.label("second_day"), a.day_number.label("first_day_number"),
                   (b.day_number // width - a.day_number // width).label("bucket_step"),
                   func.min(b.department_id).label("department_id"))
            .join(b, on)
            .where(gap >= 0, gap <= days, (gap > 0) | (a.visit_id < b.visit_id), b.visit_id != a.visit_id,
                   b.department_id != a.department_id, a.window_start <= b.window_end, b.window_start <= a.window_end)
            .group_by(a.visit_id, b.visit_id, a.firm_id, a.day, b.day, a.day_number, b.day_number))
    if visit is not None:
        stmt = stmt.where(a.firm_id == visit.firm_id, or_(a.visit_id == visit.id, b.visit_id == visit.id))
    if since_number is not None:
        stmt = stmt.where(a.day_number >= since_number, b.day_number >= since_number)
    return stmt


PAIR_COLUMNS = ["first_visit_id", "second_visit_id", "firm_id", "first_day", "second_day", "first_day_number",
                "bucket_step", "department_id"]


def cap_period(period: str, year: int, month: int) -> str:
    """The cap window of an item's ``frequency_period`` that a month falls in, as a short key."""
    return {"year": f"{year}", "half_year": f"{year}H{(month + 5) // 6}", "quarter": f"{year}Q{(month + 2) // 3}",
            "month": f"{year}-{month:02d}"}[period]


def _certified_counts(session: Session, visit: Visit) -> dict[int, int]:
    """Per department: its officers certified on the visit's day who scanned in."""
    scanned = select(Scan.officer_id).where(Scan.visit_id == visit.id, Scan.kind == "in", Scan.accepted.is_(True))
    counts: dict[int, int] = defaultdict(int)
    for officer in session.scalars(select(Officer).where(Officer.id.in_(scanned))):
        if officer.certified_on(visit.day):
            counts[officer.department_id] += 1
    return counts


def _count_keys(session: Session, visit_id: int) -> Counter:
    columns = [getattr(EntryFact, name) for name in ENTRY_COUNT_KEY]
    return Counter(tuple(row) for row in session.execute(select(*columns).where(EntryFact.visit_id == visit_id)))


def _add_counts(session: Session, delta: Counter) -> None:
    """Add ``delta`` (entries by ``EntryCount`` key, negative to take away) to the counts."""
    upsert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for key, n in sorted(delta.items()):
        if n:
            statement = upsert(EntryCount).values(**dict(zip(ENTRY_COUNT_KEY, key)), entries=n)
            session.execute(statement.on_conflict_do_update(
                index_elements=list(ENTRY_COUNT_KEY), set_={"entries": EntryCount.entries + statement.excluded.entries}))
            if n < 0:   # a group that lost its last entry goes, as a count made from the facts would not have it
                session.execute(delete(EntryCount).where(
                    *[getattr(EntryCount, name) == value for name, value in zip(ENTRY_COUNT_KEY, key)],
                    EntryCount.entries <= 0))


def _item_groups(session: Session, visit_id: int) -> set[tuple[int, str, str]]:
    return {tuple(row) for row in session.execute(select(EntryItemFact.firm_id, EntryItemFact.item_code,
                                                         EntryItemFact.period)
                                                  .where(EntryItemFact.visit_id == visit_id))}


def _firm_years(session: Session, visit_id: int) -> set[tuple[int, int]]:
    return {tuple(row) for row in session.execute(select(EntryFact.firm_id, EntryFact.year)
                                                  .where(EntryFact.visit_id == visit_id))}


def _count_groups(session: Session, items: set[tuple[int, str, str]], firm_years: set[tuple[int, int]]) -> None:
    """Count the given item groups and firm-years again from the facts (a group left empty goes)."""
    for firm_id, code, period in sorted(items):
        where = (EntryItemFact.firm_id == firm_id, EntryItemFact.item_code == code, EntryItemFact.period == period)
        session.execute(delete(EntryItemCount).where(EntryItemCount.firm_id == firm_id,
                                                     EntryItemCount.item_code == code, EntryItemCount.period == period))
        session.execute(insert(EntryItemCount).from_select(
            ["firm_id", "item_code", "period", "year", "entries", "frequency_cap", "department_id"],
            select(EntryItemFact.firm_id, EntryItemFact.item_code, EntryItemFact.period, func.min(EntryItemFact.year),
                   func.count(), func.max(EntryItemFact.frequency_cap), func.min(EntryItemFact.department_id))
            .where(*where).group_by(EntryItemFact.firm_id, EntryItemFact.item_code, EntryItemFact.period)))
    for firm_id, year in sorted(firm_years):
        session.execute(delete(EntryFirmCount).where(EntryFirmCount.firm_id == firm_id, EntryFirmCount.year == year))
        session.execute(insert(EntryFirmCount).from_select(
            ["firm_id", "year", "entries"],
            select(EntryFact.firm_id, EntryFact.year, func.count())
            .where(EntryFact.firm_id == firm_id, EntryFact.year == year, EntryFact.visit_row.is_(True))
            .group_by(EntryFact.firm_id, EntryFact.year)))


DEFER = "visit_facts_after_commit"
DUE = "visit_facts_due"


def refresh_after_commit(session: Session) -> Session:
    """Let ``session`` note the visits whose facts are to be made again rather than make them at once
    (:func:`take_due` hands them over)."""
    session.info[DEFER] = True
    return session


def take_due(session: Session) -> list[int]:
    """The visits noted since the last call, each once, in the order they were noted."""
    return list(dict.fromkeys(session.info.pop(DUE, [])))


def refresh_due(session: Session, visit_ids: list[int]) -> None:
    """Make the rows of each noted visit again, the visit locked first (refreshes of one visit take
    turns with each other and with the scans at its door, and each reads what the other committed)."""
    for visit_id in visit_ids:
        visit = session.get(Visit, visit_id, with_for_update=True, populate_existing=True)
        if visit is not None:
            _refresh(session, visit)


def refresh_visit_facts(session: Session, visit: Visit, *, first_entry: bool = False) -> None:
    """Make the rows of ``visit`` again now, or note it for after the commit in a session that says so
    (:func:`refresh_after_commit`)."""
    if session.info.get(DEFER):
        session.info.setdefault(DUE, []).append(visit.id)
        return
    _refresh(session, visit, first_entry=first_entry)


def _refresh(session: Session, visit: Visit, *, first_entry: bool = False) -> None:
    """Make the rows of ``visit`` again: one per department that entered (and per item); the counts of
    ``EntryCount`` lose the old rows and gain the new, and the item groups and firm-years the visit was
    or is in are counted again. ``first_entry``: the visit was entered just now, so it has no rows yet
    (nothing to read or take away first)."""
    session.flush()
    # The firm's counts are counted again from its facts: refreshes of the same firm's visits take
    # turns (PostgreSQL; SQLite has one writer), so that each counts the other's committed rows.
    session.execute(select(Firm.id).where(Firm.id == visit.firm_id).with_for_update(key_share=True))
    if first_entry:
        before, items, firm_years = Counter(), set(), set()
    else:
        before = _count_keys(session, visit.id)
        items, firm_years = _item_groups(session, visit.id), _firm_years(session, visit.id)
    facts, item_facts = _make_visit_facts(session, visit, first_entry=first_entry)
    # What was just written is known: its keys are not read back.
    delta = Counter(tuple(getattr(f, name) for name in ENTRY_COUNT_KEY) for f in facts)
    delta.subtract(before)
    _add_counts(session, delta)
    _count_groups(session, items | {(f.firm_id, f.item_code, f.period) for f in item_facts},
                  firm_years | {(f.firm_id, f.year) for f in facts})
    if not first_entry:
        session.execute(delete(UncombinedPair).where(or_(UncombinedPair.first_visit_id == visit.id,
                                                         UncombinedPair.second_visit_id == visit.id)))
    session.execute(_insert_pairs_of_visit(), {"pair_firm": visit.firm_id, "pair_visit": visit.id})


@functools.cache
def _insert_pairs_of_visit():
    """The insert of one visit's pairs, made once (building it anew each time costs more than running it)."""
    one = types.SimpleNamespace(id=bindparam("pair_visit"), firm_id=bindparam("pair_firm"))
    return insert(UncombinedPair.__table__).from_select(PAIR_COLUMNS, uncombined_pairs(visit=one))


def _make_visit_facts(session: Session, visit: Visit, *, first_entry: bool = False
                      ) -> tuple[list[EntryFact], list[EntryItemFact]]:
    """The visit's fact rows made again, returned (none when it was not entered)."""
    if not first_entry:
        session.execute(delete(EntryFact).where(EntryFact.visit_id == visit.id))
        session.execute(delete(EntryItemFact).where(EntryItemFact.visit_id == visit.id))
    if session.get(VisitEntry, visit.id) is None:
        return [], []
    entered = set(session.scalars(select(DepartmentEntry.department_id).where(DepartmentEntry.visit_id == visit.id)))
    tasks_of: dict[int, list[InspectionTask]] = defaultdict(list)
    for task in session.scalars(select(InspectionTask).where(InspectionTask.visit_id == visit.id)):
        if task.plan.department_id in entered:
            tasks_of[task.plan.department_id].append(task)
    if not tasks_of:
        return [], []
    firm, day = visit.firm, visit.day
    certified_of = _certified_counts(session, visit)
    first = min(tasks_of)
    items: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    facts, item_facts = [], []
    for department_id, tasks in sorted(tasks_of.items()):
        facts.append(EntryFact(visit_id=visit.id, department_id=department_id, firm_id=firm.id,
                               district_id=firm.district_id, credit_class=firm.credit_class, day=day,
                               day_number=day.toordinal(), year=day.year, month=day.month,
                               visit_row=department_id == first, departments=len(tasks_of),
                               window_start=min(t.window_start for t in tasks), window_end=max(t.window_end for t in tasks),
                               certified=certified_of.get(department_id, 0), origin=visit.origin))
        for task in tasks:
            for item in task.plan.items:
                items[item.code].append((department_id, cap_period(item.frequency_period, day.year, day.month),
                                         item.frequency_cap))
    for code, rows in sorted(items.items()):
        item_facts.append(EntryItemFact(visit_id=visit.id, item_code=code, department_id=min(r[0] for r in rows),
                                        firm_id=firm.id, year=day.year, period=min(r[1] for r in rows),
                                        frequency_cap=max(r[2] for r in rows)))
    session.add_all(facts + item_facts)
    session.flush()
    return facts, item_facts


def count_item_groups():
    """``EntryItemCount``'s rows counted from ``EntryItemFact``."""
    group = (EntryItemFact.firm_id, EntryItemFact.item_code, EntryItemFact.period)
    return select(*group, func.min(EntryItemFact.year), func.count(), func.max(EntryItemFact.frequency_cap),
                  func.min(EntryItemFact.department_id)).group_by(*group)


def count_firm_years():
    """``EntryFirmCount``'s rows counted from ``EntryFact``."""
    return (select(EntryFact.firm_id, EntryFact.year, func.count()).where(EntryFact.visit_row.is_(True))
            .group_by(EntryFact.firm_id, EntryFact.year))


def count_entries():
    """``EntryCount``'s rows counted from ``EntryFact`` (as ``rebuild_facts`` and the migration make them)."""
    key = [getattr(EntryFact, name) for name in ENTRY_COUNT_KEY]
    return select(*key, func.count()).group_by(*key)


def rebuild_facts(session: Session) -> tuple[int, int]:
    """Empty both tables and make them again from visits, entries, tasks, plans, items and scans,
    in the database, and count ``EntryCount`` again; returns the fact rows written."""
    session.flush()
    session.execute(delete(EntryCount))
    session.execute(delete(EntryItemCount))
    session.execute(delete(EntryFirmCount))
    session.execute(delete(UncombinedPair))
    session.execute(delete(EntryItemFact))
    session.execute(delete(EntryFact))
    per_department = (select(InspectionTask.visit_id.label("visit_id"), InspectionPlan.department_id.label("department_id"),
                             func.min(InspectionTask.window_start).label("window_start"),
                             func.max(InspectionTask.window_end).label("window_end"))
                      .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                      .join(DepartmentEntry, and_(DepartmentEntry.visit_id == InspectionTask.visit_id,
                                                  DepartmentEntry.department_id == InspectionPlan.department_id))
                      .join(VisitEntry, VisitEntry.visit_id == InspectionTask.visit_id)
                      .group_by(InspectionTask.visit_id, InspectionPlan.department_id).subquery())
    per_visit = (select(per_department.c.visit_id, func.count().label("departments"),
                        func.min(per_department.c.department_id).label("first"))
                 .group_by(per_department.c.visit_id).subquery())
    certified = (select(Scan.visit_id.label("visit_id"), Officer.department_id.label("department_id"),
                        func.count(func.distinct(Officer.id)).label("n"))
                 .join(Officer, Officer.id == Scan.officer_id).join(Visit, Visit.id == Scan.visit_id)
                 .where(Scan.kind == "in", Scan.accepted.is_(True), Officer.active.is_(True),
                        Officer.kind == "enforcement", Officer.valid_from <= Visit.day, Officer.valid_to >= Visit.day)
                 .group_by(Scan.visit_id, Officer.department_id).subquery())
    year, month = func.extract("year", Visit.day), func.extract("month", Visit.day)
    facts = (select(per_department.c.visit_id, per_department.c.department_id, Visit.firm_id, Firm.district_id,
                    Firm.credit_class, Visit.day, day_ordinal(Visit.day), cast(year, Integer), cast(month, Integer),
                    per_department.c.department_id == per_visit.c.first, per_visit.c.departments,
                    per_department.c.window_start, per_department.c.window_end, func.coalesce(certified.c.n, 0),
                    Visit.origin)
             .join(Visit, Visit.id == per_department.c.visit_id).join(Firm, Firm.id == Visit.firm_id)
             .join(per_visit, per_visit.c.visit_id == per_department.c.visit_id)
             .outerjoin(certified, and_(certified.c.visit_id == per_department.c.visit_id,
                                        certified.c.department_id == per_department.c.department_id)))
    session.execute(insert(EntryFact).from_select(
        ["visit_id", "department_id", "firm_id", "district_id", "credit_class", "day", "day_number", "year", "month",
         "visit_row", "departments", "window_start", "window_end", "certified", "origin"], facts))
    session.execute(insert(EntryCount).from_select([*ENTRY_COUNT_KEY, "entries"], count_entries()))
    y, m = cast(year, Integer), cast(month, Integer)
    text_year = cast(y, String)
    period = case(
        (CatalogueItem.frequency_period == "half_year", text_year + literal("H") + cast((m + 5) // 6, String)),
        (CatalogueItem.frequency_period == "quarter", text_year + literal("Q") + cast((m + 2) // 3, String)),
        (CatalogueItem.frequency_period == "month",
         text_year + literal("-") + case((m < 10, literal("0") + cast(m, String)), else_=cast(m, String))),
        else_=text_year)
    item_rows = (select(InspectionTask.visit_id, CatalogueItem.code, func.min(InspectionPlan.department_id),
                        func.min(Visit.firm_id), func.min(y), func.min(period), func.max(CatalogueItem.frequency_cap))
                 .join(Visit, Visit.id == InspectionTask.visit_id)
                 .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                 .join(DepartmentEntry, and_(DepartmentEntry.visit_id == InspectionTask.visit_id,
                                             DepartmentEntry.department_id == InspectionPlan.department_id))
                 .join(VisitEntry, VisitEntry.visit_id == InspectionTask.visit_id)
                 .join(plan_items, plan_items.c.plan_id == InspectionPlan.id)
                 .join(CatalogueItem, and_(CatalogueItem.id == plan_items.c.item_id))
                 .group_by(InspectionTask.visit_id, CatalogueItem.code))
    session.execute(insert(EntryItemFact).from_select(
        ["visit_id", "item_code", "department_id", "firm_id", "year", "period", "frequency_cap"], item_rows))
    session.execute(insert(EntryItemCount).from_select(
        ["firm_id", "item_code", "period", "year", "entries", "frequency_cap", "department_id"], count_item_groups()))
    session.execute(insert(EntryFirmCount).from_select(["firm_id", "year", "entries"], count_firm_years()))
    for step in (0, 1):
        session.execute(insert(UncombinedPair).from_select(PAIR_COLUMNS, uncombined_pairs(step=step)))
    session.flush()
    return (session.scalar(select(func.count()).select_from(EntryFact)),
            session.scalar(select(func.count()).select_from(EntryItemFact)))
