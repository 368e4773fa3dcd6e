"""Schedule runs, the visits they make, moving and locking a visit, the officers' ranking."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Bool, Day, Int, Str
from .common import _z


class ScheduleRunSchema(BaseSchema):
    id = Int()
    status = Str()
    progress = fields.Float()
    message = Str()
    period_start = Day()
    period_end = Day()
    plans = fields.Function(lambda r: r.plan_ids)
    stats = fields.Dict()
    unscheduled = fields.List(fields.Dict())
    started_at = fields.Function(lambda r: _z(r.started_at))
    finished_at = fields.Function(lambda r: _z(r.finished_at))


class VisitSchema(BaseSchema):
    id = Int()
    firm = fields.Function(lambda v: v.firm.uscc)
    firm_name = fields.Function(lambda v: v.firm.name)
    district = fields.Function(lambda v: v.firm.district.name)
    day = Day()
    status = Str()
    locked = Bool()
    joint = Bool()
    tasks = fields.Function(lambda v: [{"id": t.id, "plan": t.plan_id, "department": t.plan.department.code,
                                        "status": t.status} for t in v.tasks])
    officers = fields.Function(lambda v: [{"department": o.department.code, "certificate_no": o.officer.certificate_no,
                                           "name": o.officer.name} for o in v.officers])


class VisitLockSchema(BaseSchema):
    locked = Bool(load_default=True)


class VisitMoveSchema(BaseSchema):
    day = Day(required=True)


class RankingSchema(BaseSchema):
    department = fields.Function(lambda r: r.officer.department.code)
    certificate_no = fields.Function(lambda r: r.officer.certificate_no)
    name = fields.Function(lambda r: r.officer.name)
    rank = Int()
    key = Str()
    chosen = Bool()
    reason = Str(allow_none=True)
