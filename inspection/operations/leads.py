"""Where leads come from (无线索不检查): the channels a lead comes through, the reference each channel
uses, what a lead must say, and the recorded lead that a key or special plan rests on. Recording and
importing leads are in ``door``; these rules are shared by it and by ``plans``."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..models import LEAD_KIND_LABELS, LEAD_KINDS, Department, Firm, FirmLead

LEAD_MAX_AGE = dt.timedelta(days=90)         # a lead older than this no longer justifies an entry
LEAD_QUICK_USE = dt.timedelta(hours=2)       # a lead recorded and used by its own department within this is audited
MIN_LEAD_TEXT = 6                            # a lead's description: at least this many characters...
MIN_LEAD_HAN = 4                             # ...of which this many distinct Chinese characters
HOTLINE = "12345政务服务便民热线"

# Each channel has its own reference: a 12345 work order number, the sender's document number (文号,
# as 东应急移〔2026〕12号), an accident or hazard report number, or a platform record.
_DOC_NO = r"[\u4e00-\u9fffA-Za-z0-9]{2,24}[〔\[［(（]20\d{2}[〕\]］)）]第?\d{1,6}号"
_CODE = r"[A-Z]{1,8}-?20\d{2}-?\d{3,12}"
REFERENCE_FORMATS = {
    "complaint": (re.compile(r"(?:12345|[A-Z]{1,6})?-?20\d{2}-?\d{4,12}"),
                  "12345 热线工单号（如 12345-2026-0088、DY2026120100012）"),
    "referral": (re.compile(f"{_DOC_NO}|{_CODE}"), "移送函文号（如 东应急移〔2026〕12号）或移送单编号（如 YS-2026-00031）"),
    "accident": (re.compile(f"{_DOC_NO}|{_CODE}"), "事故报告文号或编号（如 SG-2026-0007）"),
    "hazard": (re.compile(f"{_DOC_NO}|{_CODE}"), "隐患报告文号或编号（如 YH-2026-0153）"),
    "assignment": (re.compile(_DOC_NO), "督办、交办文号（如 东司督〔2026〕3号）"),
    "platform": (re.compile(r"(?:非现场核查|检查记录|风险预警)#\d{1,12}"), "平台记录（如 非现场核查#12）"),
}
DEFAULT_SOURCES = {"complaint": HOTLINE, "platform": "本平台"}
PLACEHOLDERS = {"测试", "试试", "无", "暂无", "没有", "不详", "同上", "见附件", "略", "线索", "投诉", "举报",
                "test", "testing", "demo", "asdf", "qwer", "xxx", "na", "none", "null", "todo"}


def normalise_reference(reference: str) -> str:
    """The reference as stored: full-width letters and digits folded (ＡＢ１２ → AB12), spaces dropped."""
    text = unicodedata.normalize("NFKC", reference or "").strip()
    text = re.sub(r"\s+", "", text)
    return text.upper() if re.fullmatch(r"[A-Za-z0-9\-]+", text) else text


def reference_problem(kind: str, reference: str) -> str | None:
    """Why ``reference`` is not a reference of the ``kind`` channel, or ``None``."""
    reference = normalise_reference(reference)
    pattern, example = REFERENCE_FORMATS[kind]
    if not reference:
        return f"须填写{LEAD_KIND_LABELS[kind]}的来源编号：{example}"
    if not pattern.fullmatch(reference):
        return f"「{reference[:40]}」不是{LEAD_KIND_LABELS[kind]}的编号格式，应为{example}"
    return None


def meaningless(text: str, minimum: int = MIN_LEAD_TEXT, han: int = MIN_LEAD_HAN) -> bool:
    """A text that says nothing: too short, a placeholder (x, 111, 测试, 无), one or two characters
    repeated, or too few distinct Chinese characters to name a problem."""
    bare = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text or "")).lower()
    if len(bare) < minimum or bare in PLACEHOLDERS or len(set(bare)) <= 2:
        return True
    if re.fullmatch(r"[0-9a-z]+", bare) or any(bare == p * (len(bare) // len(p)) for p in PLACEHOLDERS if p):
        return True
    return len({c for c in bare if "\u4e00" <= c <= "\u9fff"}) < han


def check_lead(department: Department, firm: Firm, kind: str, reference: str, summary: str, source: str,
                received_on, today: dt.date) -> dict[str, str]:
    """Every problem of a lead to record, by field (empty: it may be recorded)."""
    problems: dict[str, str] = {}
    if kind not in LEAD_KINDS:
        return {"kind": "线索来源应为 " + "、".join(f"{k}（{v}）" for k, v in LEAD_KIND_LABELS.items())}
    if firm.district_id not in {d.id for d in department.districts}:
        problems["firm"] = f"{firm.name}不在{department.name}的管辖区域，只能登记本部门管辖范围内企业的线索"
    problem = reference_problem(kind, reference)
    if problem:
        problems["reference"] = problem
    if meaningless(source, minimum=2, han=2):
        problems["source"] = "须写明线索来自哪里（如 12345政务服务便民热线、移送机关名称、交办单位）"
    if meaningless(summary):
        problems["summary"] = (f"线索内容「{(summary or '').strip()[:20]}」没有实际意义：请写明反映或发现的具体问题"
                               f"（至少 {MIN_LEAD_TEXT} 个字，如“后厨餐具未清洗消毒，有顾客就餐后腹泻”）")
    if not isinstance(received_on, dt.date) or isinstance(received_on, dt.datetime):
        problems["received_on"] = "收到日期格式应为 YYYY-MM-DD"
    elif received_on > today:
        problems["received_on"] = "收到日期不能晚于今天"
    elif received_on < today - LEAD_MAX_AGE:
        problems["received_on"] = f"线索收到已超过 {LEAD_MAX_AGE.days} 天，不能再据以检查"
    return problems


def plan_lead(session: Session, department: Department, reference: str, today: dt.date) -> FirmLead:
    """The recorded lead a key or special plan rests on (重点、专项检查须有线索): the department's own (or
    one addressed to every department), received within the lead's age; else a refusal naming why."""
    text = (reference or "").strip()
    if not text:
        raise InvalidInput("重点检查、专项检查须依据平台登记的线索（无线索不检查）：请填写已登记线索的编号",
                           fields={"lead": "必填"})
    found = session.scalars(select(FirmLead).where(
        FirmLead.reference == normalise_reference(text),
        or_(FirmLead.department_id.is_(None), FirmLead.department_id == department.id))
        .order_by(FirmLead.received_on.desc())).first()
    if found is None:
        raise InvalidInput(f"「{text[:40]}」不是{department.name}在平台登记的线索编号：重点检查、专项检查须先登记线索"
                           "（12345 工单、移送函、事故或隐患报告、督办交办文号），再以其编号备案计划",
                           fields={"lead": "未登记"})
    if not (today - LEAD_MAX_AGE <= found.received_on <= today):
        raise InvalidInput(f"线索 {found.reference} 收到于 {found.received_on}，已超过 {LEAD_MAX_AGE.days} 天，"
                           "不能再据以检查", fields={"lead": "已过期"})
    return found


def lead_text(lead: FirmLead) -> str:
    """How a plan names its lead: channel, reference, sender and what it says."""
    source = f"（{lead.source}）" if lead.source and lead.source != DEFAULT_SOURCES.get(lead.kind) else ""
    return f"{LEAD_KIND_LABELS[lead.kind]} {lead.reference}{source}：{lead.summary}".strip("：")
