"""An alert's evidence as oversight reads it: each rule's facts under Chinese labels, times in local time,
codes as their names, visits and plans as links (the stored evidence keeps the rule's own keys)."""
from __future__ import annotations

import datetime as dt

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


def _value(key: str, value, evidence: dict) -> str:  # noqa: C901, PLR0911 - one case a key
    if value is None or value == "" or value == []:
        return {"backfiled": "尚未补录", "end": "不限", "complaint": "无"}.get(key, "无")
    unit = METRICS.get(evidence.get("metric"), ("", ""))[1]
    if key == "at":
        return _local(str(value))
    if key == "year":
        return f"{value} 年"
    if key == "period":
        return _period(value)
    if key in ("entries", "entries_previous", "count"):
        return f"{value} 次"
    if key in ("pending",):
        return f"{value} 项"
    if key == "certified":
        return f"{value} 人"
    if key == "cap":
        return f"{value} 天" if "days" in evidence else f"{value} 次"
    if key == "days":
        return "、".join(value) if isinstance(value, list) else f"{value} 天"
    if key == "score":
        return f"{value} 分"
    if key == "complaint":
        return COMPLAINT_LABELS.get(value, str(value))
    if key == "lead_kind":
        return LEAD_KIND_LABELS.get(value, str(value))
    if key == "metric":
        return METRICS.get(value, (str(value),))[0]
    if key in ("current", "previous"):
        return f"{value:,} {unit}".strip() if isinstance(value, int | float) else str(value)
    if key == "growth":
        return f"{value * 100:.1f}%" if isinstance(value, int | float) else str(value)
    if key == "points":
        return "第 " + "、".join(map(str, value)) + " 个" if isinstance(value, list) else str(value)
    if key == "decisions":
        return "；".join(DECISION_LABELS.get(v, str(v)) for v in value) if isinstance(value, list) else str(value)
    if key == "hours_late":
        return f"{value} 小时"
    if key in ("minutes", "minimum"):
        return f"{value} 分钟"
    if key == "tasks":
        return f"{value} 项" if isinstance(value, int) else f"{len(value)} 项"
    if key in ("runs", "required"):
        return f"{value} 次"
    if key == "same_account":
        return "是" if value else "否"
    if key in ("fine_amount", "low", "high"):
        return f"{value:,} 元" if isinstance(value, int) else str(value)
    if key == "lookback_months":
        return f"{value} 个月"
    if key == "point":
        return f"第 {value} 项"
    if key == "decision":
        return DECISION_LABELS.get(value, str(value))
    if key == "dimension":
        return {"officer": "执法人员之间", "district": "区县之间"}.get(value, str(value))
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
