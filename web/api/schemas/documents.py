"""Approvals of plans and the documents of an inspection, with their public verification."""
from __future__ import annotations

from marshmallow import fields

from inspection.models import FIELD_RECORD_KINDS, STATEMENT_KINDS, TASK_SOURCES
from inspection.operations.documents import statement_due

from ...schemas import BaseSchema, Str, length, one_of
from .common import _z


class ApprovalBodySchema(BaseSchema):
    task_source = Str(required=True, validate=one_of(tuple(TASK_SOURCES)))
    opinion = Str(load_default="", validate=length(0, 500))


class RefusalBodySchema(BaseSchema):
    reason = Str(required=True, validate=length(2, 500))


class DocumentSchema(BaseSchema):
    id = fields.Int()
    number = Str()
    kind = Str()
    kind_label = Str()
    title = Str()
    department = fields.Function(lambda d: d.department.code)
    issued_at = fields.Function(lambda d: _z(d.issued_at))
    sha256 = Str()
    status = Str()
    plan = fields.Function(lambda d: d.plan_id)
    visit = fields.Function(lambda d: d.visit_id)
    corrects = fields.Function(lambda d: d.corrects.number if d.corrects else None)
    corrected_by = fields.Function(lambda d: d.corrected_by.number if d.corrected_by else None)
    acknowledged_at = fields.Function(lambda d: _z(d.acknowledgement.at) if d.acknowledgement else None)
    content = fields.Dict(allow_none=True, metadata={"description": "what a sampling, premises or questioning record says"})
    statement_due = fields.Function(lambda d: statement_due(d).isoformat() if d.kind in STATEMENT_KINDS else None)
    statements = fields.Function(lambda d: [{"text": s.text, "at": _z(s.at)} for s in d.statements])


class FieldRecordBodySchema(BaseSchema):
    kind = Str(required=True, validate=one_of(FIELD_RECORD_KINDS))
    content = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True,
                          metadata={"description": "item (the item's code) and the kind's fields: sampling: sample, "
                                    "batch, quantity, place, handling; premises: place, situation; questioning: "
                                    "person, questions"})
    signer_name = Str(load_default=None, allow_none=True, validate=length(0, 64))
    signature = Str(load_default=None, allow_none=True)
    refused = fields.Bool(load_default=False)
    witness = Str(load_default=None, allow_none=True, validate=length(0, 64))
    note = Str(load_default="", validate=length(0, 500))


class StatementBodySchema(BaseSchema):
    text = Str(required=True, validate=length(1, 2000))


class RecordBodySchema(BaseSchema):
    signer_name = Str(load_default=None, allow_none=True, validate=length(0, 64))
    signature = Str(load_default=None, allow_none=True,
                    metadata={"description": "the signature drawn on the screen: a PNG, base64 or a data: URL"})
    refused = fields.Bool(load_default=False)
    witness = Str(load_default=None, allow_none=True, validate=length(0, 64))
    note = Str(load_default="", validate=length(0, 500))


class ApprovalSchema(BaseSchema):
    id = fields.Int()
    plan = fields.Function(lambda a: a.plan_id)
    decision = Str()
    task_source = Str()
    subject = Str()
    legal_basis = fields.List(Str())
    items = fields.List(fields.Dict())
    frequency = Str()
    officers = fields.List(fields.Dict())
    opinion = Str()
    afterwards = fields.Bool()
    decided_at = fields.Function(lambda a: _z(a.decided_at))
    document = fields.Function(lambda a: a.document.number if a.document else None)


class VerificationSchema(BaseSchema):
    number = Str()
    kind = Str()
    kind_label = Str()
    department = Str()
    issued_at = Str()
    sha256 = Str()
    status = Str()
    status_label = Str()
    corrects = Str(allow_none=True)
    corrected_by = Str(allow_none=True)


class ApprovalFormSchema(BaseSchema):
    subject = Str()
    legal_basis = fields.List(Str())
    items = fields.List(fields.Dict())
    frequency = Str()
    officers = fields.List(fields.Dict())
