"""An alert's evidence as oversight reads it: each rule's facts under Chinese labels, times in local time,
codes as their names, visits and plans as links (the stored evidence keeps the rule's own keys)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import url_for

from core import clock
from inspection.models import COMPLAINT_LABELS, LEAD_KIND_LABELS
from inspection.models.leniency import DECISION_LABELS

METRICS = {"cases": ("立案数", "件"), "fines": ("罚款金额", "元")}
# key -> label; keys absent here are internal numbers (a scan's, an outcome's, a report's row) and not shown.
LABELS = {
    "year": "年度", "period": "期间", "item": "检查事项", "entries": "入企次数", "cap": "上限",
    "officer": "执法证号", "at": "时间", "reason": "原因", "certified": "当日持证人员", "due": "期限",
    "pending": "未完成任务", "period_end": "计划结束日期", "score": "评分", "complaint": "投诉",
    "points": "要点", "decisions": "各要点的处理", "metric": "指标", "current": "本期", "previous": "上年同期",
    "growth": "同比增长", "entries_previous": "上年同期入企次数", "count": "次数", "lead_kind": "线索类型",
    "lead": "线索编号", "backfiled": "补录日期", "hours_late": "晚于入企", "officers": "来人自述",
    "department": "自称部门", "description": "经过", "start": "开始", "end": "结束", "declared_on": "设定日期",
    "days": "天数",
    "minutes": "检查时长", "minimum": "最短时长", "entered_at": "入企时间", "left_at": "离开时间",
    "day": "检查日期", "scanned": "已扫码的本部门人员", "tasks": "退回计划的任务",
    "from": "起", "to": "止", "runs": "已开展抽查", "required": "清单要求", "words": "清单原文",
    "same_account": "同一账号登记并使用", "problem": "问题", "point": "检查要点", "fine_amount": "罚款金额",
    "low": "裁量下限", "high": "裁量上限", "offences": "违法行为", "lookback_months": "首违认定期限",
    "decision": "处理决定", "dimension": "比较范围", "medians": "罚款中位数", "cases": "案件数",
}


def _local(text: str) -> str:
    try:
        at = dt.datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        return text
    return clock.to_local(at.replace(tzinfo=None)).strftime("%Y-%m-%d %H:%M")


def _period(text) -> str:
    text = str(text)
    if len(text) == 6 and text[4] == "Q":
        return f"{text[:4]} 年第 {text[5]} 季度"
    if len(text) == 7 and text[4] == "-":
        return f"{text[:4]} 年 {int(text[5:])} 月"
    return f"{text} 年" if text.isdigit() else text


def _counted(unit: str) -> Callable[[object, dict], str]:
    """A formatter that writes a number with its unit ("3 次")."""
    return lambda value, evidence: f"{value} {unit}"


def _metric_amount(value, evidence: dict) -> str:
    """本期 or 上年同期: an amount in the unit of the evidence's metric (件, 元)."""
    unit = METRICS.get(evidence.get("metric"), ("", ""))[1]
    return f"{value:,} {unit}".strip() if isinstance(value, int | float) else str(value)


def _yuan(value, evidence: dict) -> str:
    """An amount of money in yuan (罚款金额, 裁量下限 and 上限)."""
    return f"{value:,} 元" if isinstance(value, int) else str(value)


# key -> how its value reads; a formatter also gets the whole evidence, for a unit that depends on another key.
FORMATS: dict[str, Callable[[object, dict], str]] = {
    "at": lambda value, evidence: _local(str(value)),
    "year": _counted("年"),
    "period": lambda value, evidence: _period(value),
    "entries": _counted("次"), "entries_previous": _counted("次"), "count": _counted("次"),
    "pending": _counted("项"),
    "certified": _counted("人"),
    "cap": lambda value, evidence: f"{value} 天" if "days" in evidence else f"{value} 次",
    "days": lambda value, evidence: "、".join(value) if isinstance(value, list) else f"{value} 天",
    "score": _counted("分"),
    "complaint": lambda value, evidence: COMPLAINT_LABELS.get(value, str(value)),
    "lead_kind": lambda value, evidence: LEAD_KIND_LABELS.get(value, str(value)),
    "metric": lambda value, evidence: METRICS.get(value, (str(value),))[0],
    "current": _metric_amount, "previous": _metric_amount,
    "growth": lambda value, evidence: f"{value * 100:.1f}%" if isinstance(value, int | float) else str(value),
    "points": lambda value, evidence: "第 " + "、".join(map(str, value)) + " 个" if isinstance(value, list) else str(value),
    "decisions": lambda value, evidence: ("；".join(DECISION_LABELS.get(v, str(v)) for v in value)
                                          if isinstance(value, list) else str(value)),
    "hours_late": _counted("小时"),
    "minutes": _counted("分钟"), "minimum": _counted("分钟"),
    "tasks": lambda value, evidence: f"{value} 项" if isinstance(value, int) else f"{len(value)} 项",
    "runs": _counted("次"), "required": _counted("次"),
    "same_account": lambda value, evidence: "是" if value else "否",
    "fine_amount": _yuan, "low": _yuan, "high": _yuan,
    "lookback_months": _counted("个月"),
    "point": lambda value, evidence: f"第 {value} 项",
    "decision": lambda value, evidence: DECISION_LABELS.get(value, str(value)),
    "dimension": lambda value, evidence: {"officer": "执法人员之间", "district": "区县之间"}.get(value, str(value)),
}


def _value(key: str, value, evidence: dict) -> str:
    """How one fact of the evidence reads: by its key's formatter in :data:`FORMATS`, else as plain text (a
    mapping as "key：value" pairs, a list joined)."""
    if value is None or value == "" or value == []:
        return {"backfiled": "尚未补录", "end": "不限", "complaint": "无"}.get(key, "无")
    format_value = FORMATS.get(key)
    if format_value is not None:
        return format_value(value, evidence)
    if isinstance(value, dict):
        return "；".join(f"{k}：{v:,}" if isinstance(v, int | float) else f"{k}：{v}" for k, v in value.items())
    if key == "earlier" and isinstance(value, list):
        return "、".join(str(e.get("day", "")) for e in value if isinstance(e, dict))
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


def evidence_rows(alert, firm_uscc: str | None) -> list[dict]:
    """[{"label", "text", "href"}] in the rule's order; visits link to the firm's record, plans to their page."""
    evidence = alert.evidence or {}
    rows = []
    for key, value in evidence.items():
        if key in ("visit", "visits", "visit_ids"):
            ids = value if isinstance(value, list) else [value]
            if not firm_uscc:  # visits at several firms: their number (each firm's record has its own)
                rows.append({"label": "涉及入企检查", "text": f"{len(ids)} 次", "href": None})
                continue
            for n, visit_id in enumerate(ids, start=1):
                label = "入企检查" if len(ids) == 1 else f"入企检查 {n}"
                rows.append({"label": label, "text": "查看记录",
                             "href": f"{url_for('views.firm', uscc=firm_uscc)}#visit-{visit_id}"})
        elif key == "plan":
            rows.append({"label": "检查计划", "text": "查看计划", "href": url_for("views.public_plan", plan_id=value)})
        elif key in LABELS:
            rows.append({"label": LABELS[key], "text": _value(key, value, evidence), "href": None})
    return rows
