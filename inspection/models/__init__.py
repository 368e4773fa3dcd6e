"""All models of the platform, imported here so that the metadata is complete."""
from checklists.models import CatalogueItem, CatalogueVersion, ChecklistPoint, Department
from core.db import Base

from .documents import (
                    APPROVAL_DECISIONS,
                    DOCUMENT_KIND_MARKS,
                    DOCUMENT_KINDS,
                    FIELD_RECORD_KINDS,
                    SIGNED_KINDS,
                    STATEMENT_KINDS,
                    TASK_SOURCES,
                    Document,
                    DocumentAcknowledgement,
                    DocumentCounter,
                    DocumentStatement,
                    PlanApproval,
                    RecordSignature,
)
from .door import (
                    OFFLINE_KINDS,
                    OFFLINE_STATUSES,
                    JoinInvitation,
                    OfficerDevice,
                    OfflineRecord,
                    RefusalReport,
                    ScanPrompt,
)
from .entry import (
                    COMPLAINT_LABELS,
                    COMPLAINTS,
                    OUTCOME_LABELS,
                    OUTCOMES,
                    RESULT_LABELS,
                    RESULTS,
                    DepartmentEntry,
                    EntryToken,
                    Evaluation,
                    Finding,
                    ItemOutcome,
                    MissedPart,
                    Scan,
                    VisitEntry,
)
from .event import GENESIS, Event, EventHead, QueuedEvent
from .leniency import (
                    CONDITIONS,
                    DECISION_LABELS,
                    DECISIONS,
                    EXCLUSIVE_CONDITIONS,
                    LENIENT,
                    TREATMENT_LABELS,
                    TREATMENTS,
                    LeniencyDecision,
                    LeniencyEntry,
                    LeniencyList,
)
from .notice import CHANNEL_STATUS_LABELS, CHANNEL_STATUSES, NOTICE_KIND_LABELS, NOTICE_KINDS, Notice
from .offsite import OFFSITE_STATUS_LABELS, OFFSITE_STATUSES, FirmRecord, OffsiteEvidence, OffsiteRequest
from .org import (
                    CREDIT_CLASSES,
                    CREDIT_LABELS,
                    OFFICER_KIND_LABELS,
                    OFFICER_KINDS,
                    CityRule,
                    District,
                    Firm,
                    FirmTag,
                    Officer,
                    OfficerConflict,
                    QuietPeriod,
                    department_districts,
                    officer_districts,
)
from .oversight import (
                    ALERT_RULES,
                    ALERT_STATUS_LABELS,
                    ALERT_STATUSES,
                    ENTRY_COUNT_KEY,
                    Alert,
                    EntryCount,
                    EntryFact,
                    EntryFirmCount,
                    EntryItemCount,
                    EntryItemFact,
                    UncombinedPair,
)
from .plan import (
                    PLAN_STATUS_LABELS,
                    PLAN_STATUSES,
                    QUIET_EXCEPTIONS,
                    TASK_STATUSES,
                    WEIGHTING_LABELS,
                    WEIGHTINGS,
                    CampaignProposal,
                    Draw,
                    InspectionPlan,
                    InspectionTask,
                    JointCampaign,
                    plan_items,
)
from .risk import (
                    LEAD_KIND_LABELS,
                    LEAD_KINDS,
                    LEAD_VIAS,
                    RISK_MODEL_STATUS_LABELS,
                    RISK_MODEL_STATUSES,
                    FirmLead,
                    RiskModel,
                    RiskScore,
)
from .user import ROLE_LABELS, ROLES, User
from .visit import (
                    EMERGENCY_KINDS,
                    VISIT_ORIGIN_LABELS,
                    VISIT_ORIGINS,
                    VISIT_STATUS_LABELS,
                    VISIT_STATUSES,
                    ImportRun,
                    OfficerRanking,
                    ScheduleRun,
                    Visit,
                    VisitOfficer,
)

__all__ = ["CHANNEL_STATUSES", "CHANNEL_STATUS_LABELS", "NOTICE_KINDS", "NOTICE_KIND_LABELS", "Notice", "APPROVAL_DECISIONS", "DOCUMENT_KIND_MARKS", "DOCUMENT_KINDS", "TASK_SOURCES", "Document",
           "DocumentCounter", "PlanApproval", "DocumentAcknowledgement", "DocumentStatement", "RecordSignature", "SIGNED_KINDS",
           "FIELD_RECORD_KINDS", "STATEMENT_KINDS", "OFFLINE_KINDS", "OFFLINE_STATUSES", "JoinInvitation", "OfficerDevice", "OfflineRecord", "RefusalReport",
           "ScanPrompt", "EMERGENCY_KINDS", "VISIT_ORIGINS", "VISIT_ORIGIN_LABELS","OFFSITE_STATUSES", "OFFSITE_STATUS_LABELS", "FirmRecord", "OffsiteEvidence", "OffsiteRequest", "ALERT_RULES", "ALERT_STATUSES", "ALERT_STATUS_LABELS", "Alert", "ENTRY_COUNT_KEY", "EntryCount", "EntryFact", "EntryFirmCount", "EntryItemCount", "EntryItemFact", "UncombinedPair", "COMPLAINTS", "COMPLAINT_LABELS", "OUTCOMES", "OUTCOME_LABELS", "RESULTS", "RESULT_LABELS", "EntryToken",
           "Evaluation", "Finding", "ItemOutcome", "Scan", "VisitEntry", "DepartmentEntry", "MissedPart",
           "Base", "CatalogueItem", "CatalogueVersion", "ChecklistPoint", "Department", "District", "Event",
           "EventHead", "QueuedEvent", "CampaignProposal", "Draw", "Firm", "FirmTag", "InspectionPlan", "InspectionTask", "OfficerConflict", "QuietPeriod", "CityRule", "OFFICER_KINDS", "OFFICER_KIND_LABELS",
           "QUIET_EXCEPTIONS", "JointCampaign", "ImportRun", "OfficerRanking", "ScheduleRun", "Visit", "VisitOfficer",
           "VISIT_STATUSES", "VISIT_STATUS_LABELS", "Officer", "User", "CREDIT_CLASSES", "CREDIT_LABELS",
           "GENESIS", "PLAN_STATUSES", "PLAN_STATUS_LABELS", "TASK_STATUSES", "ROLES", "ROLE_LABELS", "department_districts",
           "officer_districts", "plan_items",
           "CONDITIONS", "DECISIONS", "DECISION_LABELS", "EXCLUSIVE_CONDITIONS", "LENIENT", "TREATMENTS",
           "TREATMENT_LABELS", "LeniencyDecision", "LeniencyEntry", "LeniencyList", "WEIGHTINGS", "WEIGHTING_LABELS",
           "LEAD_KINDS", "LEAD_KIND_LABELS", "LEAD_VIAS", "RISK_MODEL_STATUSES", "RISK_MODEL_STATUS_LABELS", "FirmLead", "RiskModel",
           "RiskScore"]
