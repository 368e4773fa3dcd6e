"""The demo's inspections on paper (凡检查必通知): the notice of each department's entry, the on-site record
read back and signed on the phone (now and then refused before a witness), the result notice with its order
to rectify, and the acknowledgements of the firms that have an account."""
from __future__ import annotations

import datetime as dt
import io
import random

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Department, DepartmentEntry, Document, User, Visit
from ..operations.documents import acknowledge_document, issue_entry_notice, issue_result_notice, sign_record
from ..operations.entry_notices import take_due
from ..permissions import FIRM_DOCUMENT_KINDS

SIGNERS = ("张丽", "王建国", "李娜", "刘洋", "陈静", "杨帆", "赵敏", "周强")
WITNESSES = ("社区网格员 孙萍", "园区安全员 吴刚", "商户联合会 郑磊")


def signature(rng: random.Random) -> bytes:
    """A stroke as the phone's signature pad sends it."""
    image = Image.new("RGB", (240, 80), "white")
    points = [(10 + 45 * n, rng.randint(15, 65)) for n in range(6)]
    ImageDraw.Draw(image).line(points, fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def notify(session: Session, visit: Visit, at: dt.datetime) -> int:
    """The notices of the departments that entered, issued at ``at`` (the platform issues them after the scan)."""
    take_due(session)
    entered = session.scalars(select(DepartmentEntry.department_id).where(DepartmentEntry.visit_id == visit.id)).all()
    for department_id in sorted(entered):
        issue_entry_notice(session, visit, session.get(Department, department_id), at=at)
    return len(entered)


def sign(session: Session, visit: Visit, team: list[User], rng: random.Random, at: dt.datetime,
         refuse: bool = False) -> int:
    """Each department's on-site record, read back to the firm's person and signed (or refused)."""
    done = 0
    for department_id in sorted({t.plan.department_id for t in visit.tasks}):
        member = next(m for m in team if m.department_id == department_id)
        if refuse:
            sign_record(session, member, visit, refused=True, witness=rng.choice(WITNESSES),
                        note="当事人对检查结果有异议，拒绝签名", at=at)
        else:
            sign_record(session, member, visit, signer_name=rng.choice(SIGNERS), signature_png=signature(rng), at=at)
        done += 1
    return done


def tell(session: Session, visit: Visit, at: dt.datetime) -> int:
    """Each department's result notice, with the order to rectify where an item is to be rectified."""
    done = 0
    for department_id in sorted({t.plan.department_id for t in visit.tasks}):
        official = session.scalar(select(User).where(User.role == "department", User.department_id == department_id)
                                  .order_by(User.id).limit(1))
        issue_result_notice(session, official, visit, session.get(Department, department_id), at=at)
        done += 1
    return done


def acknowledge_at_the_door(session: Session, before: dt.date) -> int:
    """The firms with an account acknowledge the notices and records handed over at their door before
    ``before``; their result notices and orders wait for them on their page."""
    done = 0
    for user in session.scalars(select(User).where(User.role == "enterprise").order_by(User.id)):
        papers = session.scalars(select(Document).join(Visit, Visit.id == Document.visit_id)
                                 .where(Document.firm_id == user.firm_id, Visit.day < before,
                                        Document.kind.in_([k for k in FIRM_DOCUMENT_KINDS
                                                           if k not in ("result", "order")]))
                                 .order_by(Document.id)).all()
        for document in papers:
            if document.acknowledgement is None:
                acknowledge_document(session, user, document, at=document.issued_at + dt.timedelta(minutes=5))
                done += 1
    return done
