"""Plans of a department (事前备案): list, form, detail with filing, drawing and cancelling."""
from __future__ import annotations

from collections import Counter

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from checklists import queries as catalogue_queries
from checklists.revisions import next_revision, revision_of
from core import clock
from inspection import queries
from inspection.errors import DomainError
from inspection.models import WEIGHTING_LABELS, CampaignProposal, Firm, InspectionPlan
from inspection.operations.campaigns import proposals_for, respond
from inspection.operations.draws import EXCLUSION_LABELS, draw_plan
from inspection.operations.plans import cancel_plan, create_plan, file_plan, update_plan
from inspection.operations.pool import share_text
from inspection.pure.calendar import credit_policy

from ..auth import roles_required
from ..database import db, writes_when_read
from ..schemas import PlanCreateSchema
from .blueprint import bp
from .outcomes import attempt, refused, undo

CLASSES = ("A", "B", "C", "D")
DEFAULT_RATIOS = {"A": 3, "B": 5, "C": 10, "D": 20}


@bp.get("/plans")
@roles_required("department")
def plans():
    rows = db().scalars(queries.plans_of(current_user.department_id)).all()
    return render_template("plans/list.html", plans=rows)


def _form_context(**extra):
    session = db()
    items = session.scalars(catalogue_queries.published_items(current_user.department.code)).all()
    return {"items": [i for i in items if not i.is_group],
            "risk_model": session.scalar(queries.published_risk_model()), "weightings": WEIGHTING_LABELS,
            "districts": current_user.department.districts, "classes": CLASSES, "credit_policy": credit_policy(),
            "industries": session.scalars(select(Firm.industry).distinct().order_by(Firm.industry)).all(),
            **extra}


def _form_values(form) -> tuple[dict, dict]:
    """What the plan form sent: (the fields for the schema, the form as shown again)."""
    raw = {"title": form.get("title", ""), "period_start": form.get("period_start", ""),
           "period_end": form.get("period_end", ""), "items": form.getlist("items"), "lead": form.get("lead") or None,
           "target_districts": form.getlist("target_districts"),
           "target_industries": form.getlist("target_industries"), "series": form.get("series") or None,
           "on_site_reason": form.get("on_site_reason") or None, "weighting": form.get("weighting") or "ratios",
           "notice_days": form.get("notice_days") or None, "credit_ratios": form.get("credit_ratios") == "1"}
    percents = {c: form.get(f"ratio_{c}", "").strip() for c in CLASSES}
    return raw, {**raw, "ratios": percents}


def _save_plan(save, shown_plan: InspectionPlan | None = None):
    """Check the form and ``save(data)``; on a refusal the form comes back with the reasons."""
    raw, shown = _form_values(request.form)
    context = {"plan": shown_plan, **_form_context()}
    try:
        ratios = {} if raw["credit_ratios"] else {c: float(v) / 100 for c, v in shown["ratios"].items() if v}
    except ValueError:
        return None, (render_template("plans/new.html", form=shown, errors={"ratios": ["抽查比例应为 0 至 100 的数字"]},
                                      **context), 422)
    try:
        data = PlanCreateSchema().load({**raw, "ratios": ratios})
        return save(data), None
    except ValidationError as err:
        return None, (render_template("plans/new.html", form=shown, errors=err.messages, **context), 422)
    except DomainError as err:
        undo(err)
        return None, (render_template("plans/new.html", form=shown, errors=err.fields, error=err.message, **context),
                      err.status)


def _fields(data: dict) -> dict:
    return dict(title=data["title"], period_start=data["period_start"], period_end=data["period_end"],
                item_codes=data["items"], lead=data.get("lead"), ratios=data["ratios"],
                target_districts=data["target_districts"], target_industries=data["target_industries"],
                series=data.get("series"), on_site_reason=data.get("on_site_reason"), weighting=data["weighting"],
                notice_days=data.get("notice_days"), credit_ratios=data["credit_ratios"])


@bp.route("/plans/new", methods=["GET", "POST"])
@roles_required("department")
def new_plan():
    if request.method == "GET":
        return render_template("plans/new.html", form={"ratios": DEFAULT_RATIOS, "weighting": "ratios"}, errors={},
                               plan=None, **_form_context())
    plan, failed = _save_plan(lambda data: create_plan(db(), current_user, **_fields(data)))
    if failed:
        return failed
    flash(f"检查计划「{plan.title}」已保存为草稿；备案后将公布抽取种子的承诺值", "success")
    return redirect(url_for("views.plan", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@roles_required("department")
def edit_plan(plan_id: int):
    plan = department_plan(plan_id)
    if plan.status != "draft":
        flash(f"计划当前状态为「{plan.status_label}」，只有草稿可以修改", "error")
        return redirect(url_for("views.plan", plan_id=plan.id))
    if request.method == "GET":
        form = {"title": plan.title, "period_start": plan.period_start, "period_end": plan.period_end,
                "items": [i.code for i in plan.items], "lead": plan.lead, "target_districts": plan.target_districts,
                "target_industries": plan.target_industries, "series": plan.series,
                "on_site_reason": plan.on_site_reason, "weighting": plan.weighting, "notice_days": plan.notice_days,
                "ratios": {c: f"{v * 100:g}" for c, v in (plan.ratios or {}).items()},
                "credit_ratios": plan.ratio_source == "credit_policy"}
        return render_template("plans/new.html", form=form, errors={}, plan=plan, **_form_context())
    saved, failed = _save_plan(lambda data: update_plan(db(), current_user, plan, **_fields(data)), plan)
    if failed:
        return failed
    flash(f"草稿「{saved.title}」已保存", "success")
    return redirect(url_for("views.plan", plan_id=plan.id))


def department_plan(plan_id: int) -> InspectionPlan:
    plan = db().get(InspectionPlan, plan_id)
    if plan is None or plan.department_id != current_user.department_id:
        abort(404)
    return plan


def draw_summary(plan: InspectionPlan) -> dict | None:
    if plan.draw is None:
        return None
    record = plan.draw.record
    selected = set(record["selected"])
    pool = Counter(e["class"] for e in record["pool"])
    chosen = Counter(e["class"] for e in record["pool"] if e["uscc"] in selected)
    firms = {f.uscc: f for f in db().scalars(select(Firm).where(Firm.uscc.in_(record["selected"])))}
    weights = {e["uscc"]: e["weight"] for e in record["pool"] if "weight" in e}
    return {"record": record, "by_class": [(c, pool.get(c, 0), chosen.get(c, 0)) for c in CLASSES], "weights": weights,
            "excluded": Counter(e["reason"].partition(":")[0] for e in record["excluded"]), "firms": firms,
            "labels": EXCLUSION_LABELS}


def _detail(plan: InspectionPlan, status: int = 200):
    proposals = []
    if plan.status == "draft" and plan.campaign_id is None:
        proposals = [(p, db().scalars(select(InspectionPlan).where(InspectionPlan.id.in_(p.plan_ids))).all())
                     for p in proposals_for(db(), plan)]
    approval = db().scalar(queries.latest_approval(plan.id))
    return render_template("plans/detail.html", plan=plan, summary=draw_summary(plan), proposals=proposals,
                           share=share_text(plan.share), approval=approval,
                           revisions={i.id: checklist_revisions(i) for i in plan.items}), status


def _mapping_text(revision: dict) -> str:
    moves = [f"原第 {m['from']} 项" + (f"现为第 {m['to']} 项" if m["to"] else f"「{m['text']}」删除")
             for m in revision["points"]]
    if revision["added"]:
        moves.append(f"新增第 {'、'.join(map(str, revision['added']))} 项")
    return "；".join(moves)


def checklist_revisions(item) -> list[str]:
    """What the plan's item has become in later versions of the list: the checklist in force today and the
    one a version published ahead of its date brings, each with the mapping from the points filed with."""
    today = clock.today()
    lines = []
    current = revision_of(item, today)
    if current is not None:
        if current["changed"]:
            lines.append(f"检查要点自 {current['effective_from']:%Y-%m-%d} 起按 {current['version']} 版清单："
                         + _mapping_text(current))
        else:
            lines.append(f"清单已发布新版本，本事项延续；检查要点未变（{current['version']} 版）")
    upcoming = next_revision(item, today)
    if upcoming is not None:
        later = revision_of(item, upcoming.effective_from)
        if later["changed"]:
            lines.append(f"{later['version']} 版清单自 {later['effective_from']:%Y-%m-%d} 起施行，届时检查要点："
                         + _mapping_text(later) + "；此前按现行检查要点实施")
        else:
            lines.append(f"{later['version']} 版清单自 {later['effective_from']:%Y-%m-%d} 起施行，本事项延续，检查要点未变")
    return lines


@bp.get("/plans/<int:plan_id>")
@roles_required("department")
@writes_when_read    # a draft's joint-campaign proposals are brought up to date as it is shown
def plan(plan_id: int):
    return _detail(department_plan(plan_id))


PROPOSAL_ANSWERS = {"accepted": "各部门均已同意：联合抽查已建立，本计划将与其他部门计划共用抽取种子",
                    "declined": "已谢绝该联合抽查建议"}


@bp.post("/plans/<int:plan_id>/proposals/<int:proposal_id>")
@roles_required("department")
def answer_proposal(plan_id: int, proposal_id: int):
    plan = department_plan(plan_id)
    proposal = db().get(CampaignProposal, proposal_id)
    if proposal is None:
        abort(404)
    return attempt(lambda: respond(db(), current_user, proposal, plan, request.form.get("accept") == "yes"),
                   lambda result: PROPOSAL_ANSWERS.get(result.status, "已同意；待其他部门答复"),
                   url_for("views.plan", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/<action>")
@roles_required("department")
def plan_action(plan_id: int, action: str):
    plan = department_plan(plan_id)
    session = db()
    try:
        if action == "file":
            file_plan(session, current_user, plan)
            message = "计划已备案，抽取种子的承诺值已公开"
        elif action == "draw":
            draw_plan(session, current_user, plan)
            message = "抽取完成，种子与抽取结果已公开，任何人可复核"
        elif action == "cancel":
            cancel_plan(session, current_user, plan, request.form.get("reason", ""))
            message = "计划已取消"
        else:
            abort(404)
    except DomainError as err:
        refused(err)
        return _detail(plan, err.status)
    flash(message, "success")
    return redirect(url_for("views.plan", plan_id=plan.id))
