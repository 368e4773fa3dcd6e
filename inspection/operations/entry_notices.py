"""凡检查必通知 at the door: the inspection notice of each department's entry is issued after the entry is
recorded, off the scan's path. The scan only notes the entry (:func:`entry_recorded`, a list kept on the
session); whoever commits the session hands the noted entries to :func:`issue_due` (the web runs it as a
background job after the commit, or within the commit when jobs run inline). Each notice is issued once,
however many times an entry is handed over."""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ..models import Department, DepartmentEntry, Document, Visit

log = logging.getLogger(__name__)

DUE = "entry_notices_due"


def entry_recorded(session: Session, visit_id: int, department_id: int) -> None:
    """Note that the department's entry into the visit's firm was recorded in this transaction."""
    session.info.setdefault(DUE, []).append((visit_id, department_id))


def take_due(session: Session) -> list[tuple[int, int]]:
    """The entries noted since the last call, each once, in the order they were noted."""
    return list(dict.fromkeys(session.info.pop(DUE, [])))


def issue_due(session: Session, due: list[tuple[int, int]]) -> list[Document]:
    """Issue the inspection notice of each noted entry that is on record (an entry rolled back with its
    savepoint is skipped) and has none yet. The entry's row is locked first, so that two jobs handed the
    same entry issue one notice."""
    from .documents import issue_entry_notice

    issued = []
    for visit_id, department_id in due:
        if session.get(DepartmentEntry, (visit_id, department_id), with_for_update=True) is None:
            continue
        issued.append(issue_entry_notice(session, session.get(Visit, visit_id), session.get(Department, department_id)))
    return issued
