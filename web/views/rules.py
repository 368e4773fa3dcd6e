"""The city's rules in forms: the hours of scans into firms and the limits of the city file (administrator),
a department's yearly cap per firm (the department), quiet periods (oversight and administrators for the
city or a district, a department for one firm). Each form goes through the operation the API and the
city file use, and a refusal comes back with the form as typed and the reason, with nothing written."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from inspection import queries
from inspection.errors import DomainError, InvalidInput, NotFound
from inspection.models import Department, District, Firm, QuietPeriod
from inspection.operations.city_rules import RULE_LABELS, current_rules, set_city_rules
from inspection.operations.quiet import declare_quiet_period
from inspection.operations.rules import set_yearly_cap

from ..api.schemas import QuietPeriodInSchema
from ..auth import roles_required
from ..database import db
from .blueprint import bp
from .outcomes import undo

ROLES = ("department", "oversight", "admin")
QUIET_SCOPES = {"city": "全市", "district": "区县", "firm": "单个企业"}
QUIET_FIELDS = {"scope": "范围", "district": "区县", "firm": "企业统一社会信用代码", "days_of_month": "每月日期",
                "start": "开始日期", "end": "结束日期", "reason": "理由", "evidence": "依据"}


def _page(status: int = 200, **shown):
    session = db()
    periods = session.scalars(select(QuietPeriod).order_by(QuietPeriod.id.desc()).limit(50)).all()
    firms = {f.id: f for f in session.scalars(select(Firm).where(Firm.id.in_({p.firm_id for p in periods if p.firm_id})))}
    departments = {d.id: d for d in session.scalars(select(Department))}
    districts = session.scalars(select(District).order_by(District.code)).all()
    context = {"rules": current_rules(session), "districts": districts, "district_names": {d.id: d.name for d in districts},
               "periods": periods, "period_firms": firms, "departments": departments, "scopes": QUIET_SCOPES,
               "labels": RULE_LABELS, "quiet_labels": QUIET_FIELDS,
               "city_form": None, "cap_form": None, "quiet_form": None, "errors": {}, "error": None}
    context.update(shown)
    return render_template("rules/index.html", **context), status


@bp.get("/rules")
@roles_required(*ROLES)
def rules():
    return _page()


@bp.post("/rules/city")
@roles_required("admin")
def city_rules():
    form = request.form
    values = {"working_hours": [form.get("hours_start", ""), form.get("hours_end", "")],
              "quiet_period_max_days": form.get("quiet_period_max_days", ""),
              "min_visit_minutes": form.get("min_visit_minutes", "")}
    try:
        diff = set_city_rules(db(), current_user, values)
    except DomainError as err:
        undo(err)
        return _page(err.status, city_form=form, errors=err.fields, error=err.message)
    if diff:
        flash("已更新：" + "；".join(f"{RULE_LABELS[name]} {_shown(old)} → {_shown(new)}" for name, (old, new) in diff.items())
              + "。此后的扫码入企、宁静期申报和审查均按新规则", "success")
    else:
        flash("规则没有变化，未作更改", "success")
    return redirect(url_for("views.rules"))


def _shown(value) -> str:
    return "–".join(value) if isinstance(value, list) else str(value)


@bp.post("/rules/yearly-cap")
@roles_required("department")
def yearly_cap():
    text = request.form.get("yearly_cap", "").strip()
    try:
        if text and not text.isdigit():
            raise InvalidInput("年度检查次数上限应为 1 至 12 的整数（不设上限则留空）", fields={"yearly_cap": "应为整数"})
        department = current_user.department
        old = department.yearly_cap
        set_yearly_cap(db(), current_user, department, int(text) if text else None)
    except DomainError as err:
        undo(err)
        return _page(err.status, cap_form=request.form, errors=err.fields, error=err.message)
    new = department.yearly_cap
    flash(f"本部门对每家企业的年度检查次数上限：{old or '未设'} → {new or '未设'}；此后的抽取和扫码入企按此执行", "success")
    return redirect(url_for("views.rules"))


@bp.post("/rules/quiet-periods")
@roles_required(*ROLES)
def quiet_period():
    """Declare a quiet period: the form is read by the API's schema, then the API's operation decides."""
    form = request.form
    scope = form.get("scope", "") if current_user.role != "department" else "firm"
    days = [d.strip() for d in form.get("days_of_month", "").replace("，", ",").replace("、", ",").split(",") if d.strip()]
    raw = {"scope": scope, "district": form.get("district") or None, "firm": form.get("firm", "").strip() or None,
           "days_of_month": days or None, "start": form.get("start") or None, "end": form.get("end") or None,
           "reason": form.get("reason", "").strip(), "evidence": form.get("evidence", "").strip() or None}
    session = db()
    try:
        body = QuietPeriodInSchema().load(raw)
    except ValidationError as err:
        fields = {k: v[0] if isinstance(v, list) else "取值无效" for k, v in err.messages.items()}
        message = "；".join(f"{QUIET_FIELDS.get(k, k)}：{v}" for k, v in fields.items()) + "。未作任何更改"
        return _page(422, quiet_form=form, errors=fields, error=message)
    try:
        district = firm = None
        if body["scope"] == "district" and body.get("district"):
            district = session.scalar(select(District).where(District.code == body["district"]))
            if district is None:
                raise InvalidInput("区县：未知区县", fields={"district": "未知区县"})
        if body["scope"] == "firm" and body.get("firm"):
            firm = session.scalar(queries.firm_by_uscc(), {"uscc": body["firm"]})
            if firm is None:
                raise NotFound(f"企业统一社会信用代码：没有代码为 {body['firm']} 的企业", fields={"firm": "未知企业"})
        period = declare_quiet_period(session, current_user, scope=body["scope"], reason=body["reason"],
                                      district=district, firm=firm, days_of_month=body.get("days_of_month"),
                                      start=body.get("start"), end=body.get("end"), evidence=body.get("evidence"))
    except DomainError as err:
        undo(err)
        named = "；".join(f"{QUIET_FIELDS.get(k, k)}：{v}" for k, v in (err.fields or {}).items() if isinstance(v, str))
        return _page(err.status, quiet_form=form, errors=err.fields or {},
                     error=err.message + (f"（{named}）" if named else ""))
    where = {"city": "全市", "district": district.name if district else "", "firm": firm.name if firm else ""}[period.scope]
    flash(f"{where}宁静期已设定：此后排程和扫码入企不再安排计划检查（投诉、事故等例外须写明类型和依据）", "success")
    return redirect(url_for("views.rules"))
