"""一公开: a department publishes the results (outcomes) of an inspection, on-site or off-site alike."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core import clock

from ..models import ItemOutcome, User
from .events import append_event, utcnow


def publish_outcomes(session: Session, actor: User, rows: list[ItemOutcome], subject: str,
                     **payload) -> list[ItemOutcome]:
    """Mark ``rows`` published (an outcome published before keeps its first date) and record it, naming the
    items published after their deadline."""
    now = utcnow()
    for row in rows:
        row.published_at = row.published_at or now
    session.flush()
    today = clock.local_day(now)
    append_event(session, actor, "results.published", subject,
                 {"items": [r.item.code for r in rows], **payload,
                  "late": [r.item.code for r in rows if today > r.publish_due]})
    return rows
