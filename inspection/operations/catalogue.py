"""Publishing the catalogue, with its event-log records."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from checklists.loader import parse_catalogue
from checklists.operations import PublishResult, publish_catalogue

from ..models import Department
from .events import append_event, utcnow


def load_catalogue_file(session: Session, actor, path: str | Path, *, publish: bool = True) -> PublishResult:
    """Validate ``path`` and store it as a catalogue version (published unless ``publish`` is false).

    A file with any problem raises before anything is written.
    """
    known = set(session.scalars(select(Department.code)))
    parsed = parse_catalogue(path, known)
    result = publish_catalogue(session, parsed, now=utcnow(), publish=publish)
    if result.status != "unchanged":
        append_event(session, actor, f"catalogue.{result.status}", f"catalogue:{parsed.version}",
                     {"file": parsed.path, "sha256": parsed.sha256, "items": result.items,
                      "revoked": result.revoked})
    return result
