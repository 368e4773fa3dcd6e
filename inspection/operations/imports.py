"""Import firms and officers from CSV/XLSX files, and export them in the same format.

An import validates the whole file before it writes anything (a bad file raises
:class:`~inspection.errors.ImportFileInvalid` listing every problem), then creates new rows
and updates changed ones by key (``uscc`` / ``certificate_no``), replaces the tags or districts
of the rows whose sets changed, and appends exactly one event-log record. Firms are staged in
temporary tables (COPY on PostgreSQL) and merged by the database in a few statements; officers,
fewer, are written in batches with SQLAlchemy Core. Rows that are not in the file are left alone. It flushes and never commits.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    true,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import Department, District, Firm, FirmTag, Officer, officer_districts
from ..pure.imports import (
    FirmRecord,
    OfficerRecord,
    district_lookup,
    parse_firms,
    parse_officers,
    write_firms,
    write_officers,
)
from .bulk import copy_rows
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

FIRM_FIELDS = ("name", "district_id", "industry", "credit_class", "address")

# The file is staged in temporary tables (COPY on PostgreSQL, one executemany on SQLite), compared and
# merged by the database in a few statements: no statement carries the rows as parameters.
_staging = MetaData()
FIRM_STAGE = Table("firm_import_stage", _staging,
                   Column("line", Integer, nullable=False), Column("uscc", String(18), primary_key=True),
                   Column("name", String(200), nullable=False), Column("district_id", Integer, nullable=False),
                   Column("industry", String(32), nullable=False), Column("credit_class", String(1), nullable=False),
                   Column("address", String(300), nullable=False), prefixes=["TEMPORARY"])
FIRM_TAG_STAGE = Table("firm_import_tag_stage", _staging,
                       Column("uscc", String(18), primary_key=True), Column("tag", String(32), primary_key=True),
                       prefixes=["TEMPORARY"])


def _stage_rows(session: Session, table: Table, rows: Iterable[tuple], progress: Progress, total: int) -> None:
    """Write ``rows`` (tuples in the table's column order) into a staging table."""
    copy_rows(session, table, [c.name for c in table.columns], rows,
              lambda done: progress("暂存", done, total))


def _upsert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _firm_tag_sets():
    """(tags the file gives its firms, tags those firms have now), as ``(firm_id, tag)`` selects."""
    firms, firm_tags, stage, tag_stage = Firm.__table__, FirmTag.__table__, FIRM_STAGE, FIRM_TAG_STAGE
    ours = (select(firms.c.id.label("firm_id"), tag_stage.c.tag)
            .select_from(tag_stage.join(firms, firms.c.uscc == tag_stage.c.uscc)))
    theirs = (select(firm_tags.c.firm_id, firm_tags.c.tag)
              .select_from(firm_tags.join(firms, firms.c.id == firm_tags.c.firm_id)
                           .join(stage, stage.c.uscc == firms.c.uscc)))
    return ours, theirs


def _sync_firms(session: Session) -> None:
    """The merge bypassed the session: expire the firms of the file it holds and forget their tag rows."""
    held: dict[int, list] = defaultdict(list)
    for obj in list(session.identity_map.values()):
        identity = inspect(obj).identity
        if identity is not None and isinstance(obj, (Firm, FirmTag)):
            held[identity[0]].append(obj)
    if not held:
        return
    firms = Firm.__table__
    for firm_id in session.scalars(select(firms.c.id).join(FIRM_STAGE, FIRM_STAGE.c.uscc == firms.c.uscc)
                                   .where(firms.c.id.in_(list(held)))):
        for obj in held[firm_id]:
            if isinstance(obj, Firm):
                session.expire(obj)
            else:
                session.expunge(obj)


def import_firms(session: Session, actor, path: str | Path, progress: Progress | None = None) -> dict:
    """Create or update the firms of ``path`` by ``uscc``; returns ``{rows, created, updated, unchanged}``.

    The whole file is validated first; the valid rows are then staged in temporary tables, counted
    against the database and merged in one statement for the firms (``INSERT … ON CONFLICT (uscc)
    DO UPDATE`` where a field changed) and two for their tags (the file's tags a firm lacks are added,
    the tags it has beyond the file's removed). ``progress(stage, done, total)`` is called as the file
    is validated, staged and written.
    """
    progress = progress or _no_progress
    session.flush()
    known, district_ids, _ = _district_maps(session)
    parsed = parse_firms(path, known, progress)
    records: list[FirmRecord] = parsed.records
    total = len(records)
    firms, firm_tags, stage, tag_stage = Firm.__table__, FirmTag.__table__, FIRM_STAGE, FIRM_TAG_STAGE

    connection = session.connection()
    for table in (stage, tag_stage):
        connection.execute(text(f"DROP TABLE IF EXISTS {table.name}"))
        table.create(connection)
    _stage_rows(session, stage, ((r.line, r.uscc, r.name, district_ids[r.district], r.industry, r.credit_class,
                                  r.address) for r in records), progress, total)
    _stage_rows(session, tag_stage, ((r.uscc, tag) for r in records for tag in r.tags), _no_progress, 0)

    progress("比对", 0, total)
    ours, theirs = _firm_tag_sets()
    added, removed = ours.except_(theirs).subquery(), theirs.except_(ours).subquery()
    retagged = union(select(added.c.firm_id), select(removed.c.firm_id))
    fields_differ = or_(*(firms.c[name].is_distinct_from(stage.c[name]) for name in FIRM_FIELDS))
    existing, updated = session.execute(
        select(func.count(), func.count().filter(or_(fields_differ, firms.c.id.in_(retagged))))
        .select_from(stage.join(firms, firms.c.uscc == stage.c.uscc))).one()
    created = total - existing
    progress("比对", total, total)

    writes = created + updated
    progress("写入", 0, writes)
    if writes:
        upsert = _upsert(session)(firms).from_select(
            ["uscc", *FIRM_FIELDS],
            select(stage.c.uscc, *(stage.c[name] for name in FIRM_FIELDS)).where(true()).order_by(stage.c.line))
        session.execute(upsert.on_conflict_do_update(
            index_elements=[firms.c.uscc], set_={name: upsert.excluded[name] for name in FIRM_FIELDS},
            where=or_(*(firms.c[name].is_distinct_from(upsert.excluded[name]) for name in FIRM_FIELDS))))
        ours, theirs = _firm_tag_sets()
        session.execute(delete(firm_tags).where(tuple_(firm_tags.c.firm_id, firm_tags.c.tag)
                                                .in_(theirs.except_(ours))))
        session.execute(insert(firm_tags).from_select(["firm_id", "tag"], ours.except_(theirs)))
        _sync_firms(session)
    progress("写入", writes, writes)
    for table in (tag_stage, stage):
        table.drop(connection)
    _analyze(session, ("firms", "firm_tags"), writes)

    counts = _counts(total, created, updated)
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


def import_officers(session: Session, actor, path: str | Path, progress: Progress | None = None) -> dict:
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
    existing, districts_of = _existing_officers(session, records, progress)
    changes = _officer_changes(records, existing, districts_of, department_ids, district_ids)
    _write_officers(session, changes, progress)
    counts = _counts(len(records), len(changes.new_rows), len(changes.updated_ids))
    append_event(session, actor, "officers.imported", "import:officers",
                 {"file": parsed.path, "sha256": parsed.sha256, **counts})
    session.flush()
    return counts


def _existing_officers(session: Session, records: Sequence[OfficerRecord],
                       progress: Progress) -> tuple[dict[str, tuple], dict[int, set[int]]]:
    """The file's officers already known, by certificate number (id, name, department, validity), and
    the districts of each."""
    officers, links = Officer.__table__, officer_districts
    existing: dict[str, tuple] = {}
    districts_of: dict[int, set[int]] = defaultdict(set)
    done, total = 0, len(records)
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
    return existing, districts_of


@dataclasses.dataclass
class _OfficerChanges:
    new_rows: list[dict] = dataclasses.field(default_factory=list)
    new_districts: list[list[int]] = dataclasses.field(default_factory=list)
    changed: list[dict] = dataclasses.field(default_factory=list)
    relink: dict[int, list[int]] = dataclasses.field(default_factory=dict)

    @property
    def updated_ids(self) -> set[int]:
        return {row["b_id"] for row in self.changed} | set(self.relink)


def _officer_changes(records, existing, districts_of, department_ids, district_ids) -> _OfficerChanges:
    """What the file changes: officers to create, fields to update, district lists to replace."""
    changes = _OfficerChanges()
    for r in records:
        department_id = department_ids[r.department]
        wanted = [district_ids[code] for code in r.districts]
        have = existing.get(r.certificate_no)
        if have is None:
            changes.new_rows.append({"certificate_no": r.certificate_no, "name": r.name,
                                     "department_id": department_id, "valid_from": r.valid_from,
                                     "valid_to": r.valid_to, "active": True, "qualifications": []})
            changes.new_districts.append(wanted)
            continue
        officer_id = have[0]
        if have[1:] != (r.name, department_id, r.valid_from, r.valid_to):
            changes.changed.append({"b_id": officer_id, "b_name": r.name, "b_department_id": department_id,
                                    "b_valid_from": r.valid_from, "b_valid_to": r.valid_to})
        if districts_of.get(officer_id, set()) != set(wanted):
            changes.relink[officer_id] = wanted
    return changes


def _write_officers(session: Session, changes: _OfficerChanges, progress: Progress) -> None:
    officers, links = Officer.__table__, officer_districts
    updated_ids = changes.updated_ids
    writes = len(changes.new_rows) + len(updated_ids)
    written = 0
    progress("写入", 0, writes)
    for rows, district_lists in zip(_chunks(changes.new_rows), _chunks(changes.new_districts)):
        ids = session.scalars(insert(officers).returning(officers.c.id, sort_by_parameter_order=True), rows).all()
        link_rows = [{"officer_id": officer_id, "district_id": district_id}
                     for officer_id, wanted in zip(ids, district_lists) for district_id in wanted]
        if link_rows:
            session.execute(insert(links), link_rows)
        written += len(rows)
        progress("写入", written, writes)
    if changes.changed:
        statement = (update(officers).where(officers.c.id == bindparam("b_id"))
                     .values(name=bindparam("b_name"), department_id=bindparam("b_department_id"),
                             valid_from=bindparam("b_valid_from"), valid_to=bindparam("b_valid_to")))
        for rows in _chunks(changes.changed):
            session.execute(statement, list(rows))
    for ids in _chunks(list(changes.relink)):
        session.execute(delete(links).where(links.c.officer_id.in_(ids)))
        link_rows = [{"officer_id": officer_id, "district_id": district_id}
                     for officer_id in ids for district_id in changes.relink[officer_id]]
        if link_rows:
            session.execute(insert(links), link_rows)
    if updated_ids:
        progress("写入", writes, writes)
    _sync_identity_map(session, Officer, updated_ids)
    _analyze(session, ("officers", "officer_districts"), writes)


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
