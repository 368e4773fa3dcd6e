"""The dashboard's counts read ``EntryCount``, the over-cap rule ``EntryItemCount`` and
``EntryFirmCount``, the uncombined-visits rule ``UncombinedPair``, all kept in step with the entry facts by the operations that enter visits: every
figure equals the same count made directly from the facts, after each change and after the facts are
rebuilt."""
import datetime as dt
from collections import Counter

from sqlalchemy import select

from inspection.models import (
    ENTRY_COUNT_KEY,
    Department,
    District,
    EntryCount,
    EntryFact,
    EntryFirmCount,
    EntryItemCount,
    UncombinedPair,
    VisitEntry,
)
from inspection.operations.alerts import uncombined
from inspection.operations.facts import (
    PAIR_COLUMNS,
    count_firm_years,
    count_item_groups,
    rebuild_facts,
    refresh_visit_facts,
    uncombined_pairs,
)
from inspection.queries.kpis import (
    Scope,
    department_figures,
    entries_by_department,
    entries_by_district,
    entries_by_origin,
    joint_share,
    monthly_entries,
)
from tests.at_the_door import join_visit

SCOPES = [Scope(2026), Scope(2025), Scope(2026, department="fire"), Scope(2026, district="370502"),
          Scope(2026, department="market", district="370502")]


def stored_counts(db_session) -> Counter:
    rows = db_session.execute(select(*[getattr(EntryCount, k) for k in ENTRY_COUNT_KEY], EntryCount.entries)).all()
    return Counter({tuple(row[:-1]): row[-1] for row in rows if row[-1]})


def counted_from_facts(db_session) -> Counter:
    rows = db_session.execute(select(*[getattr(EntryFact, k) for k in ENTRY_COUNT_KEY])).all()
    return Counter(tuple(row) for row in rows)


def direct_figures(db_session, scope: Scope) -> dict:
    """The figures counted row by row from the facts, in the test's own words."""
    departments = {d.id: d for d in db_session.scalars(select(Department))}
    districts = {d.id: d for d in db_session.scalars(select(District))}
    rows = [f for f in db_session.scalars(select(EntryFact).where(EntryFact.year == scope.year))
            if (not scope.department or departments[f.department_id].code == scope.department)
            and (not scope.district or districts[f.district_id].code == scope.district)]
    visit_rows = rows if scope.department else [f for f in rows if f.visit_row]
    months = Counter(f.month for f in visit_rows)
    by_department = Counter(f.department_id for f in rows)
    joint = Counter(f.department_id for f in rows if f.departments > 1)
    by_district = Counter(f.district_id for f in visit_rows)
    return {
        "monthly": [months[m] for m in range(1, 13)],
        "departments": sorted((departments[d].code, n) for d, n in by_department.items()),
        "districts": {districts[d].code: n for d, n in by_district.items()},
        "origins": Counter(f.origin for f in visit_rows),
        "joint": (sum(1 for f in visit_rows if f.departments > 1), len(visit_rows)),
        "department_figures": {departments[d].code: (n, joint[d], round(sum(1 / f.departments for f in rows
                                                                            if f.department_id == d), 9))
                               for d, n in by_department.items()},
    }


def dashboard_figures(db_session, scope: Scope) -> dict:
    return {
        "monthly": monthly_entries(db_session, scope),
        "departments": sorted((code, n) for code, _, n in entries_by_department(db_session, scope)),
        "districts": {code: n for code, _, n in entries_by_district(db_session, scope) if n},
        "origins": Counter({k: n for k, n in entries_by_origin(db_session, scope).items() if n}),
        "joint": joint_share(db_session, scope),
        "department_figures": {f.code: (f.entries, f.joint, round(f.shared, 9))
                               for f in department_figures(db_session, scope) if f.entries},
    }


def assert_in_step(db_session):
    assert stored_counts(db_session) == counted_from_facts(db_session)
    items = select(EntryItemCount.firm_id, EntryItemCount.item_code, EntryItemCount.period, EntryItemCount.year,
                   EntryItemCount.entries, EntryItemCount.frequency_cap, EntryItemCount.department_id)
    assert sorted(map(tuple, db_session.execute(items))) == sorted(map(tuple, db_session.execute(count_item_groups())))
    firms = select(EntryFirmCount.firm_id, EntryFirmCount.year, EntryFirmCount.entries)
    assert sorted(map(tuple, db_session.execute(firms))) == sorted(map(tuple, db_session.execute(count_firm_years())))
    pairs = select(*[getattr(UncombinedPair, name) for name in PAIR_COLUMNS])
    assert sorted(map(tuple, db_session.execute(pairs))) == sorted(map(tuple, db_session.execute(uncombined_pairs())))
    for scope in SCOPES:
        assert dashboard_figures(db_session, scope) == direct_figures(db_session, scope), scope


def test_counts_follow_every_change_of_the_facts_and_a_rebuild(db_session, make_firm, entered):
    a, b, c = make_firm(), make_firm(district_code="370503"), make_firm()
    joint = entered(a, department="market", day=dt.date(2026, 3, 3))
    fire_visit = entered(b, department="fire", item="XF-002", day=dt.date(2026, 3, 10))
    entered(c, department="health", item="WJ-001", day=dt.date(2025, 11, 5))
    entered(b, department="market", day=dt.date(2026, 7, 1))
    entered(b, department="health", item="WJ-001", day=dt.date(2026, 7, 20), window=(dt.date(2026, 7, 1),
                                                                                   dt.date(2026, 7, 31)))
    assert_in_step(db_session)
    # The rule reads the stored pairs; for another number of days it joins the facts: alike for 30.
    found = list(uncombined(db_session, dt.date(2026, 1, 1)))
    assert [key for key, *_ in found] == [f"uncombined:{first}:{second}" for first, second, *_ in db_session.execute(
        uncombined_pairs(since_number=dt.date(2026, 1, 1).toordinal()).order_by("bucket_step", "first", "second"))]
    assert len(found) == 1 and list(uncombined(db_session, dt.date(2026, 1, 1), days=10)) == []

    # Fire joins a's visit: the market row becomes a joint one, a fire row appears.
    join_visit(db_session, joint, fire_visit.tasks[0].plan)
    assert joint_share(db_session, Scope(2026)) == (1, 4)
    assert_in_step(db_session)

    # Refreshing without a change changes nothing; a visit that loses its entry leaves the counts.
    before = stored_counts(db_session)
    refresh_visit_facts(db_session, joint)
    assert stored_counts(db_session) == before
    db_session.delete(db_session.get(VisitEntry, fire_visit.id))
    refresh_visit_facts(db_session, fire_visit)
    assert sum(stored_counts(db_session).values()) == sum(before.values()) - 1
    assert_in_step(db_session)

    kept = stored_counts(db_session)
    rebuild_facts(db_session)
    assert stored_counts(db_session) == kept
    assert_in_step(db_session)
