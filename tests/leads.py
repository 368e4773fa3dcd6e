"""A recorded lead for tests whose key or special plans must rest on one (无线索不检查)."""
import itertools

from sqlalchemy import select

from core import clock
from inspection.models import Firm, User
from inspection.operations.door import record_lead

_serial = itertools.count(1)


def recorded_lead(db_session, department: str = "market", reference: str | None = None) -> str:
    """An oversight assignment (督办交办) recorded by ``department`` about a firm of its jurisdiction,
    received today; returns its reference for a plan's ``lead``."""
    user = db_session.scalar(select(User).where(User.username == department))
    districts = [d.id for d in user.department.districts]
    firm = db_session.scalars(select(Firm).where(Firm.district_id.in_(districts)).order_by(Firm.id)).first()
    lead = record_lead(db_session, user, firm, kind="assignment", received_on=clock.today(),
                       reference=reference or f"东政督〔2026〕{100 + next(_serial)}号",
                       summary="市政府部署开展专项整治，排查辖区重点单位安全隐患", source="东营市人民政府办公室")
    db_session.commit()
    return lead.reference
