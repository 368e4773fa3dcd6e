"""The API's request and response schemas, one module per area (the route module of the same name uses
them; ``common`` holds the error body every failure answers with). Every schema is re-exported here, so
``from web.api.schemas import PlanSchema`` names any of them; the field types, ``BaseSchema`` and the input
schemas of signing in, plans, campaigns and reasons live in ``web/schemas.py``."""
from __future__ import annotations

from .admin import ImportRunSchema
from .catalogue import DepartmentSchema, ItemQuerySchema, ItemSchema, ItemSummarySchema, LegalBasisSchema, PointSchema
from .common import ErrorSchema
from .documents import (
    ApprovalBodySchema,
    ApprovalFormSchema,
    ApprovalSchema,
    DocumentSchema,
    FieldRecordBodySchema,
    RecordBodySchema,
    RefusalBodySchema,
    StatementBodySchema,
    VerificationSchema,
)
from .door import (
    BackfileSchema,
    DeviceSchema,
    JwkSchema,
    NoCodeSchema,
    ReasonInSchema,
    SignedRecordSchema,
    SyncSchema,
    TaskRefSchema,
    YearQuerySchema,
)
from .firms import FirmPageSchema, FirmQuerySchema, FirmSchema
from .leniency import LeniencyListInSchema
from .log import LogExportQuerySchema, LogHeadSchema, LogVerifySchema
from .offsite import (
    DecisionInSchema,
    ExtensionSchema,
    OutcomeChoiceSchema,
    RectifiedSchema,
    RequestQuerySchema,
    RequestSummarySchema,
    ReviewSchema,
)
from .oversight import AlertQuerySchema, AlertSchema, AlertUpdateSchema
from .plans import CampaignSchema, PlanSchema, ProposalAnswerSchema, ProposalSchema
from .public import DrawRecordSchema
from .risk import HotlineImportSchema, HotlineRecordSchema, LeadInSchema, RiskModelSchema
from .rules import ConflictInSchema, ConflictSchema, QuietPeriodInSchema, QuietPeriodSchema, YearlyCapSchema
from .schedules import RankingSchema, ScheduleRunSchema, VisitLockSchema, VisitMoveSchema, VisitSchema
from .session import UserSchema
from .visits import (
    EmergencyInSchema,
    EvaluationInSchema,
    FindingInSchema,
    LeniencyDecisionInSchema,
    OutcomeInSchema,
    ScanInSchema,
    ScanLeadSchema,
    ScanOutSchema,
)

__all__ = [
    "AlertQuerySchema",
    "AlertSchema",
    "AlertUpdateSchema",
    "ApprovalBodySchema",
    "ApprovalFormSchema",
    "ApprovalSchema",
    "BackfileSchema",
    "CampaignSchema",
    "ConflictInSchema",
    "ConflictSchema",
    "DecisionInSchema",
    "DepartmentSchema",
    "DeviceSchema",
    "DocumentSchema",
    "DrawRecordSchema",
    "EmergencyInSchema",
    "ErrorSchema",
    "EvaluationInSchema",
    "ExtensionSchema",
    "FieldRecordBodySchema",
    "FindingInSchema",
    "FirmPageSchema",
    "FirmQuerySchema",
    "FirmSchema",
    "HotlineImportSchema",
    "HotlineRecordSchema",
    "ImportRunSchema",
    "ItemQuerySchema",
    "ItemSchema",
    "ItemSummarySchema",
    "JwkSchema",
    "LeadInSchema",
    "LegalBasisSchema",
    "LeniencyDecisionInSchema",
    "LeniencyListInSchema",
    "LogExportQuerySchema",
    "LogHeadSchema",
    "LogVerifySchema",
    "NoCodeSchema",
    "OutcomeChoiceSchema",
    "OutcomeInSchema",
    "PlanSchema",
    "PointSchema",
    "ProposalAnswerSchema",
    "ProposalSchema",
    "QuietPeriodInSchema",
    "QuietPeriodSchema",
    "RankingSchema",
    "ReasonInSchema",
    "RecordBodySchema",
    "RectifiedSchema",
    "RefusalBodySchema",
    "RequestQuerySchema",
    "RequestSummarySchema",
    "ReviewSchema",
    "RiskModelSchema",
    "ScanInSchema",
    "ScanLeadSchema",
    "ScanOutSchema",
    "ScheduleRunSchema",
    "SignedRecordSchema",
    "StatementBodySchema",
    "SyncSchema",
    "TaskRefSchema",
    "UserSchema",
    "VerificationSchema",
    "VisitLockSchema",
    "VisitMoveSchema",
    "VisitSchema",
    "YearQuerySchema",
    "YearlyCapSchema",
]
