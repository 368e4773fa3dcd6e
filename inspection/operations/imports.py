"""Import firms and officers from CSV/XLSX files, and export them in the same format.

An import validates the whole file before it writes anything (a bad file raises
:class:`~inspection.errors.ImportFileInvalid` listing every problem), then creates new rows
and updates changed ones by key (``uscc`` / ``certificate_no``) in batches with SQLAlchemy
Core, replaces the tags or districts of the rows whose sets changed, and appends exactly one
event-log record. Rows that are not in the file are left alone. It flushes and never commits.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from ..imports import (
    FirmRecord,
    OfficerRecord,
    district_lookup,
    parse_firms,
    parse_officers,
    write_firms,
    write_officers,
)
from ..models import Department, District, Firm, FirmTag, Officer, officer_districts
from .events import append_event

BATCH = 2000
ANALYZE_AFTER = 1000  # rows created or updated

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def _chunks(items: Sequence, size: int | None = None) -> Iterable[Sequence]:
    size = size or BATCH
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _district_maps(session: Session) -> tuple[dict[str, str], dict[str, int], dict[int, str]]:
    rows = session.execute(select(District.id, District.code, District.name)).all()
    return (district_lookup((code, name) for _, code, name in rows), {code: id_ for id_, code, _ in rows},
            {id_: code for id_, code, _ in rows})


def _sync_identity_map(session: Session, model, ids: set[int], link_model=None, link_ids: set[int] = frozenset(),
                       link_key: str = "") -> None:
    """Core statements bypass the session: expire the objects they changed, forget link rows they deleted."""
    if not ids and not link_ids:
        return
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and obj.id in ids:
            session.expire(obj)
        elif link_model is not None and isinstance(obj, link_model) and getattr(obj, link_key) in link_ids:
            session.expunge(obj)


def _analyze(session: Session, tables: Sequence[str], written: int) -> None:
    """After a bulk load on PostgreSQL, refresh the planner's statistics (and so its cached plans):
    a table filled in one go otherwise keeps the plans made when it was empty."""
    if written >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {', '.join(tables)}"))


def _counts(rows: int, created: int, updated: int) -> dict:
    return {"rows": rows, "created": created, "updated": updated, "unchanged": rows - created - updated}


# --------------------------------------------------------------------------- firms


def import_firms(session: Session, actor, path: str | Path, progress: Progress | None = None) -> dict:  # noqa: C901 - to split
    """Create or update the firms of ``path`` by ``uscc``; returns ``{rows, created, updated, unchanged}``.

    ``progress(stage, done, total)`` is called as the file is validated, compared and written.
    """
    progress = progress or _no_progress
    session.flush()
    known, district_ids, _ = _district_maps(session)
    parsed = parse_firms(path, known, progress)
    records: list[FirmRecord] = parsed.records
    total = len(records)
    firms, firm_tags = Firm.__table__, FirmTag.__table__

    existing: dict[str, tuple] = {}
    tags_of: dict[int, set[str]] = defaultdict(set)
    done = 0
    for chunk in _chunks([r.uscc for r in records]):
        ids = []
        for row in session.execute(select(firms.c.uscc, firms.c.id, firms.c.name, firms.c.district_id,
                                          firms.c.industry, firms.c.credit_class, firms.c.address)
                                   .where(firms.c.uscc.in_(chunk))):
            existing[row[0]] = tuple(row[1:])
            ids.append(row[1])
        if ids:
            # By the primary key's leading column, not by a join: a plan that PostgreSQL cannot
            # get wrong on tables just filled and not yet analysed.
            for firm_id, tag in session.execute(select(firm_tags.c.firm_id, firm_tags.c.tag)
                                                .where(firm_tags.c.firm_id.in_(ids))):
                tags_of[firm_id].add(tag)
        done += len(chunk)
        progress("比对", done, total)

    new_rows: list[dict] = []
    new_tags: list[tuple[str, ...]] = []
    changed: list[dict] = []
    retag: dict[int, tuple[str, ...]] = {}
    for r in records:
        district_id = district_ids[r.district]
        have = existing.get(r.uscc)
        if have is None:
            new_rows.append({"uscc": r.uscc, "name": r.name, "district_id": district_id, "industry": r.industry,
                             "credit_class": r.credit_class, "address": r.address})
            new_tags.append(r.tags)
            continue
        firm_id = have[0]
        if have[1:] != (r.name, district_id, r.industry, r.credit_class, r.address):
            changed.append({"b_id": firm_id, "b_name": r.name, "b_district_id": district_id,
                            "b_industry": r.industry, "b_credit_class": r.credit_class, "b_address": r.address})
        if tags_of.get(firm_id, set()) != set(r.tags):
            retag[firm_id] = r.tags
    updated_ids = {row["b_id"] for row in changed} | set(retag)

    writes = len(new_rows) + len(updated_ids)
    written = 0
    progress("写入", 0, writes)
    for rows, tag_lists in zip(_chunks(new_rows), _chunks(new_tags)):
        ids = session.scalars(insert(firms).returning(firms.c.id, sort_by_parameter_order=True), rows).all()
        tag_rows = [{"firm_id": firm_id, "tag": tag} for firm_id, tags in zip(ids, tag_lists) for tag in tags]
        if tag_rows:
            session.execute(insert(firm_tags), tag_rows)
        written += len(rows)
        progress("写入", written, writes)
    if changed:
        statement = (update(firms).where(firms.c.id == bindparam("b_id"))
                     .values(name=bindparam("b_name"), district_id=bindparam("b_district_id"),
                             industry=bindparam("b_industry"), credit_class=bindparam("b_credit_class"),
                             address=bindparam("b_address")))
        for rows in _chunks(changed):
            session.execute(statement, list(rows))
    retagged = list(retag)
    for ids in _chunks(retagged):
        session.execute(delete(firm_tags).where(firm_tags.c.firm_id.in_(ids)))
        tag_rows = [{"firm_id": firm_id, "tag": tag} for firm_id in ids for tag in retag[firm_id]]
        if tag_rows:
            session.execute(insert(firm_tags), tag_rows)
    if updated_ids:
        progress("写入", writes, writes)
    _sync_identity_map(session, Firm, updated_ids, FirmTag, set(retag), "firm_id")
    _analyze(session, ("firms", "firm_tags"), writes)

    counts = _counts(total, len(new_rows), len(updated_ids))
    append_event(session, actor, "firms.imported", "import:firms",
                 {"file": parsed.path, "sha256": parsed.sha256, **counts})
    session.flush()
    return counts


def firm_records(session: Session) -> list[FirmRecord]:
    """Every firm as an import record, by ``uscc``; district as its code, tags sorted."""
    session.flush()
    firms, firm_tags = Firm.__table__, FirmTag.__table__
    tags: dict[int, list[str]] = defaultdict(list)
    for firm_id, tag in session.execute(select(firm_tags.c.firm_id, firm_tags.c.tag)
                                        .order_by(firm_tags.c.firm_id, firm_tags.c.tag)):
        tags[firm_id].append(tag)
    rows = session.execute(select(firms.c.id, firms.c.uscc, firms.c.name, District.code, firms.c.industry,
                                  firms.c.credit_class, firms.c.address)
                           .join(District, District.id == firms.c.district_id).order_by(firms.c.uscc))
    return [FirmRecord(uscc, name, district, industry, credit_class, tuple(tags.get(firm_id, ())), address or "")
            for firm_id, uscc, name, district, industry, credit_class, address in rows]


def export_firms(session: Session, path: str | Path) -> int:
    """Write every firm to ``path`` (CSV or XLSX) in the import format; returns the row count."""
    return write_firms(path, firm_records(session))


# --------------------------------------------------------------------------- officers


def import_officers(session: Session, actor, path: str | Path, progress: Progress | None = None) -> dict:  # noqa: C901 - to split
    """Create or update the officers of ``path`` by ``certificate_no``; returns ``{rows, created, updated, unchanged}``.

    New officers are active with no qualifications; an update changes name, department, validity
    and districts and leaves ``active``, ``qualifications`` (and anything else) as they are.
    """
    progress = progress or _no_progress
    session.flush()
    known, district_ids, _ = _district_maps(session)
    department_ids = dict(session.execute(select(Department.code, Department.id)).all())
    parsed = parse_officers(path, set(department_ids), known, progress)
    records: list[OfficerRecord] = parsed.records
    total = len(records)
    officers, links = Officer.__table__, officer_districts

    existing: dict[str, tuple] = {}
    districts_of: dict[int, set[int]] = defaultdict(set)
    done = 0
    for chunk in _chunks([r.certificate_no for r in records]):
        ids = []
        for row in session.execute(select(officers.c.certificate_no, officers.c.id, officers.c.name,
                                          officers.c.department_id, officers.c.valid_from, officers.c.valid_to)
                                   .where(officers.c.certificate_no.in_(chunk))):
            existing[row[0]] = tuple(row[1:])
            ids.append(row[1])
        if ids:
            for officer_id, district_id in session.execute(select(links.c.officer_id, links.c.district_id)
                                                           .where(links.c.officer_id.in_(ids))):
                districts_of[officer_id].add(district_id)
        done += len(chunk)
        progress("比对", done, total)

    new_rows: list[dict] = []
    new_districts: list[list[int]] = []
    changed: list[dict] = []
    relink: dict[int, list[int]] = {}
    for r in records:
        department_id = department_ids[r.department]
        wanted = [district_ids[code] for code in r.districts]
        have = existing.get(r.certificate_no)
        if have is None:
            new_rows.append({"certificate_no": r.certificate_no, "name": r.name, "department_id": department_id,
                             "valid_from": r.valid_from, "valid_to": r.valid_to, "active": True,
                             "qualifications": []})
            new_districts.append(wanted)
            continue
        officer_id = have[0]
        if have[1:] != (r.name, department_id, r.valid_from, r.valid_to):
            changed.append({"b_id": officer_id, "b_name": r.name, "b_department_id": department_id,
                            "b_valid_from": r.valid_from, "b_valid_to": r.valid_to})
        if districts_of.get(officer_id, set()) != set(wanted):
            relink[officer_id] = wanted
    updated_ids = {row["b_id"] for row in changed} | set(relink)

    writes = len(new_rows) + len(updated_ids)
    written = 0
    progress("写入", 0, writes)
    for rows, district_lists in zip(_chunks(new_rows), _chunks(new_districts)):
        ids = session.scalars(insert(officers).returning(officers.c.id, sort_by_parameter_order=True), rows).all()
        link_rows = [{"officer_id": officer_id, "district_id": district_id}
                     for officer_id, wanted in zip(ids, district_lists) for district_id in wanted]
        if link_rows:
            session.execute(insert(links), link_rows)
        written += len(rows)
        progress("写入", written, writes)
    if changed:
        statement = (update(officers).where(officers.c.id == bindparam("b_id"))
                     .values(name=bindparam("b_name"), department_id=bindparam("b_department_id"),
                             valid_from=bindparam("b_valid_from"), valid_to=bindparam("b_valid_to")))
        for rows in _chunks(changed):
            session.execute(statement, list(rows))
    for ids in _chunks(list(relink)):
        session.execute(delete(links).where(links.c.officer_id.in_(ids)))
        link_rows = [{"officer_id": officer_id, "district_id": district_id}
                     for officer_id in ids for district_id in relink[officer_id]]
        if link_rows:
            session.execute(insert(links), link_rows)
    if updated_ids:
        progress("写入", writes, writes)
    _sync_identity_map(session, Officer, updated_ids)
    _analyze(session, ("officers", "officer_districts"), writes)

    counts = _counts(total, len(new_rows), len(updated_ids))
    append_event(session, actor, "officers.imported", "import:officers",
                 {"file": parsed.path, "sha256": parsed.sha256, **counts})
    session.flush()
    return counts


def officer_records(session: Session) -> list[OfficerRecord]:
    """Every officer as an import record, by ``certificate_no``; department and districts as codes."""
    session.flush()
    officers, links = Officer.__table__, officer_districts
    _, _, district_codes = _district_maps(session)
    districts: dict[int, list[str]] = defaultdict(list)
    for officer_id, district_id in session.execute(select(links.c.officer_id, links.c.district_id)
                                                   .order_by(links.c.officer_id, links.c.district_id)):
        districts[officer_id].append(district_codes[district_id])
    rows = session.execute(select(officers.c.id, officers.c.certificate_no, officers.c.name, Department.code,
                                  officers.c.valid_from, officers.c.valid_to)
                           .join(Department, Department.id == officers.c.department_id)
                           .order_by(officers.c.certificate_no))
    return [OfficerRecord(number, name, department, valid_from, valid_to, tuple(districts.get(officer_id, ())))
            for officer_id, number, name, department, valid_from, valid_to in rows]


def export_officers(session: Session, path: str | Path) -> int:
    """Write every officer to ``path`` (CSV or XLSX) in the import format; returns the row count."""
    return write_officers(path, officer_records(session))
