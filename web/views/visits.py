"""The inspector's day on a phone (scan in with a partner, record findings, scan out), the firm's code
and record, the inspection code anyone can verify, and published results."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io

import segno
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import or_, select

from checklists.queries import published_items
from checklists.revisions import checklist_on
from core import clock
from inspection import queries
from inspection.errors import DomainError, InvalidInput
from inspection.models import (
    COMPLAINT_LABELS,
    EMERGENCY_KINDS,
    LEAD_KIND_LABELS,
    OUTCOME_LABELS,
    RESULT_LABELS,
    TREATMENT_LABELS,
    Firm,
    FirmLead,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    Scan,
    Visit,
    VisitEntry,
)
from inspection.operations.documents import live_document, verify_url
from inspection.operations.door import Lead, prompt_for
from inspection.operations.entries import (
    decide_leniency,
    evaluate_visit,
    firm_of_token,
    firm_token,
    inspection_code,
    leniency_proposal,
    publish_results,
    record_finding,
    record_outcome,
    rotate_token,
    scan_in,
    scan_out,
    verify_code,
)
from inspection.operations.presence import department_part, own_scan_in
from inspection.pure.short_codes import format_short_code

from .. import files
from ..auth import roles_required
from ..database import db, writes_when_read
from ..limits import scan_limit, verify_limit
from ..loading import firm_or_404
from ..presenters.visits import firm_record, verification, visit_sheet
from ..query_args import day_arg, id_arg, page_arg
from .blueprint import bp
from .outcomes import attempt, refused, undo
from .plans import department_plan

PHOTO_TYPES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024


@functools.lru_cache(maxsize=1024)
def qr_svg(url: str, title: str) -> Markup:
    """The QR code of ``url`` inline, sized by CSS (a viewBox, no width or height), on white with its
    4-module quiet zone inside the drawing, so no layout can crop it. Encoding one costs about 10 ms
    (choosing the mask), and the same codes are shown again and again (a visit's notice, its code until
    the code is renewed, a firm's code): the latest are kept."""
    return Markup(segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True, dark="#1f2328",
                                                        light="#fff", svgclass="qr-code", title=title))


# -- Inspector ----------------------------------------------------------------------------------

def lead_from_form(form) -> Lead | None:
    """The lead typed on the scan page, if the officer gave one (依线索入企 or 紧急入企)."""
    mode = form.get("mode", "")
    if mode == "lead":
        return Lead(kind=form.get("lead_kind", ""), reference=form.get("lead_reference", ""), item=form.get("item", ""))
    if mode == "emergency":
        entered = form.get("entered_at", "").strip()
        entered_at = None
        if entered:
            try:
                hour, minute = (int(x) for x in entered.split(":"))
                entered_at = clock.local_instant(clock.today(), dt.time(hour, minute))
            except ValueError:
                raise InvalidInput("入企时间格式应为 时:分", fields={"entered_at": "格式不正确"}) from None
        return Lead(kind=form.get("emergency_kind", ""), item=form.get("item", ""), emergency=True, entered_at=entered_at)
    return None


SCAN_MESSAGES = {"waiting_partner": ("已扫码，等待同组另一名持证执法人员在 30 分钟内扫码后方可入企检查", "info"),
                 "entered": ("入企登记完成：请向企业出示检查码", "success"),
                 "already_in": ("您已在本次检查中", "info"),
                 "joined": ("已加入本次检查：贵部门的任务与对方部门合并为一次入企", "success"),
                 "accompanying": ("已登记为陪同人员：陪同人员不计入两名持证检查人员", "info")}


def _scan_page(token: str, **extra):
    """The scan page with what the officer should know before entering (扫码提示)."""
    firm = firm_of_token(db(), token) if token else None
    prompt = prompt_for(db(), firm, current_user.officer, clock.today()) if firm else None
    items = db().scalars(published_items(current_user.department.code)).all()
    return render_template("visits/scan.html", token=token, firm=firm, prompt=prompt, items=items,
                           lead_kinds=LEAD_KIND_LABELS, emergency_kinds=EMERGENCY_KINDS, **extra)


@bp.route("/scan", methods=["GET", "POST"])
@scan_limit
@roles_required("inspector")
def scan():
    if request.method == "GET":
        return _scan_page(request.args.get("token", ""))
    token = request.form.get("token", "").strip()
    try:
        result = scan_in(db(), current_user, token, secret=current_app.config["SECRET_KEY"],
                         lead=lead_from_form(request.form))
    except DomainError as err:
        undo(err)
        return _scan_page(token, refused=err.message, form=request.form), err.status
    flash(*SCAN_MESSAGES[result.state])
    return redirect(url_for("views.visit", visit_id=result.visit.id))


@bp.get("/scan/<token>")
@login_required
def scan_token(token: str):
    """What a phone opens when it scans a firm's posted code."""
    if current_user.role != "inspector":
        abort(403)
    return _scan_page(token, confirm=True)


def _team_visit(visit_id: int) -> Visit:
    visit = db().get(Visit, visit_id)
    if visit is None or current_user.officer_id not in {o.officer_id for o in visit.officers}:
        accompanying = visit is not None and db().scalar(select(Scan.id).where(
            Scan.visit_id == visit.id, Scan.officer_id == current_user.officer_id, Scan.accepted.is_(True)))
        if not accompanying or request.method != "GET":
            abort(404)
    return visit


@bp.get("/visits/<int:visit_id>")
@roles_required("inspector", "department")
def visit(visit_id: int):
    if current_user.role == "department":  # the department reads its visits under its plans
        found = db().get(Visit, visit_id)
        plan_id = next((t.plan_id for t in found.tasks if t.plan.department_id == current_user.department_id),
                       None) if found else None
        if plan_id is None:
            abort(404)
        return redirect(url_for("views.plan_visit", plan_id=plan_id, visit_id=visit_id))
    visit = _team_visit(visit_id)
    entry = db().get(VisitEntry, visit.id)
    code = inspection_code(visit, entry, current_app.config["SECRET_KEY"]) if entry else None
    scans = db().scalars(select(Scan).where(Scan.visit_id == visit.id, Scan.accepted.is_(True))
                         .order_by(Scan.at)).all()
    on_team = current_user.officer_id in {o.officer_id for o in visit.officers}
    prompt = prompt_for(db(), visit.firm, current_user.officer, visit.day, visit) if on_team else None
    officer = current_user.officer
    my_part = department_part(db(), visit, officer.department_id)
    present = bool(on_team and my_part is not None and my_part.left_at is None and officer.certified_on(visit.day)
                   and own_scan_in(db(), visit, officer.id) is not None)
    notice = live_document(db(), "notice", visit.id, officer.department_id) if my_part else None
    return render_template("visits/visit.html", visit=visit, sheet=visit_sheet(db(), visit, current_user),
                           notice=notice, notice_qr=qr_svg(verify_url(notice.verify_token), "检查通知书核验")
                           if notice else None, my_part=my_part, present=present, code=code, entry=entry, scans=scans, results=RESULT_LABELS, outcomes=OUTCOME_LABELS,
                           treatments=TREATMENT_LABELS, prompt=prompt, lead_kinds=LEAD_KIND_LABELS,
                           lead=db().get(FirmLead, visit.lead_id) if visit.lead_id else None,
                           code_qr=qr_svg(url_for("views.verify", code=code, _external=True), "检查码") if code
                           else None)


def _photo(field: str) -> str | None:
    """A finding's photo: JPEG or PNG up to 5 MB, stored outside the database under its checksum."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    data = upload.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        raise InvalidInput("照片不能超过 5 MB", fields={field: "超过 5 MB"})
    suffix = next((s for magic, s in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if suffix is None:
        raise InvalidInput("照片只能是 JPEG 或 PNG 图片", fields={field: "只能是 JPEG 或 PNG"})
    name = hashlib.sha256(data).hexdigest() + suffix
    folder = files.folder("photos")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


@bp.post("/visits/<int:visit_id>/items")
@roles_required("inspector")
def record_item(visit_id: int):
    """One item's checklist: a result per point (and, on a point a flexible-enforcement list covers, the
    conditions that hold and the decision), then the item's outcome."""
    visit = _team_visit(visit_id)
    form = request.form
    item_code = form.get("item", "")
    try:
        task_id = int(form.get("task", "0"))
        task = next((t for t in visit.tasks if t.id == task_id), None)
        item = next((i for i in task.plan.items if i.code == item_code), None) if task else None
        if item is None:
            raise InvalidInput("请从检查单中选择事项", fields={"item": "未知事项"})
        today = clock.today()
        for point in checklist_on(item, visit.day).points:   # the checklist in force on the visit's day
            result = form.get(f"result_{point.id}")
            if result:
                record_finding(db(), current_user, visit, task.id, point.id, result, form.get(f"note_{point.id}", ""),
                               _photo(f"photo_{point.id}"))
            decision = form.get(f"decision_{point.id}") or None
            met = form.getlist(f"conditions_{point.id}")
            if (result == "non_compliant" and (decision or met)
                    and leniency_proposal(db(), task, point.id, today) is not None):
                decide_leniency(db(), current_user, visit, task.id, point.id, met, decision,
                                form.get(f"reason_{point.id}", ""))
        rectify_by = day_arg("rectify_by", label="整改期限", source=form)
        if form.get("outcome"):
            fine = form.get("fine_amount", "").strip().replace(",", "")
            if fine and not fine.isdigit():
                raise InvalidInput("罚没金额应为整数（元）", fields={"fine_amount": "应为整数（元）"})
            record_outcome(db(), current_user, visit, task.id, item.code, form["outcome"], rectify_by,
                           publish_within=current_app.config["PUBLISH_WORKING_DAYS"],
                           treatment=form.get("treatment") or None, fine_amount=int(fine) if fine else None,
                           fine_reason=form.get("fine_reason", ""))
    except DomainError as err:
        refused(err)
        return redirect(url_for("views.visit", visit_id=visit.id) + f"#item-{item_code}")
    except ValueError:
        db().rollback()
        flash("日期格式应为 YYYY-MM-DD", "error")
        return redirect(url_for("views.visit", visit_id=visit.id) + f"#item-{item_code}")
    flash(f"事项 {item.code} 的检查结果已保存", "success")
    return redirect(url_for("views.visit", visit_id=visit.id) + f"#item-{item.code}")


@bp.post("/visits/<int:visit_id>/leave")
@roles_required("inspector")
def leave(visit_id: int):
    visit = _team_visit(visit_id)
    return attempt(lambda: scan_out(db(), current_user, visit), lambda part: _left_message(part, visit),
                   url_for("views.visit", visit_id=visit.id))


def _left_message(part, visit: Visit) -> str:
    minutes = round((part.left_at - part.entered_at).total_seconds() / 60)
    message = f"{part.department.short_name}已扫码离开，本部门检查历时 {minutes} 分钟"
    return message + ("；本次检查已结束" if visit.status == "completed" else "；其他部门仍在检查中")


# -- The firm --------------------------------------------------------------------------------------

@bp.get("/firms/<uscc>/code")
@roles_required("enterprise", "admin")
@writes_when_read    # the firm's code is made on first use
def firm_code(uscc: str):
    """A page to print and post at the entrance: the firm's code carries only an opaque token."""
    firm = firm_or_404(uscc)
    token = firm_token(db(), firm)
    url = url_for("views.scan_token", token=token.token, _external=True)
    return render_template("visits/firm_code.html", firm=firm, qr=qr_svg(url, f"{firm.name}企业码"), url=url,
                           short_code=format_short_code(token.short_code))


@bp.get("/firms/<uscc>/code.<fmt>")
@roles_required("enterprise", "admin")
@writes_when_read    # the firm's code is made on first use
def firm_code_file(uscc: str, fmt: str):
    if fmt not in ("png", "svg"):
        abort(404)
    firm = firm_or_404(uscc)
    url = url_for("views.scan_token", token=firm_token(db(), firm).token, _external=True)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind=fmt, scale=12, border=4)
    return send_file(io.BytesIO(buffer.getvalue()), mimetype="image/png" if fmt == "png" else "image/svg+xml",
                     as_attachment=True, download_name=f"企业码-{firm.uscc}.{fmt}")


@bp.post("/firms/<uscc>/code/rotate")
@roles_required("enterprise", "admin")
def firm_code_rotate(uscc: str):
    firm = firm_or_404(uscc)
    rotate_token(db(), current_user, firm)
    flash("企业码已更换：旧码立即失效，请打印并张贴新码", "success")
    return redirect(url_for("views.firm_code", uscc=firm.uscc))


@bp.post("/visits/<int:visit_id>/evaluation")
@roles_required("enterprise")
def evaluate(visit_id: int):
    visit = db().get(Visit, visit_id)
    if visit is None or visit.firm_id != current_user.firm_id:
        abort(404)
    try:
        score = int(request.form.get("score", "0"))
        evaluate_visit(db(), current_user, visit, score, request.form.get("comment", ""),
                       request.form.get("complaint") or None)
    except DomainError as err:
        refused(err)
        return redirect(url_for("views.firm", uscc=visit.firm.uscc) + f"#visit-{visit.id}")
    except ValueError:
        db().rollback()
        flash("请选择 1 至 5 分", "error")
        return redirect(url_for("views.firm", uscc=visit.firm.uscc) + f"#visit-{visit.id}")
    flash("评价已提交，感谢您的反馈；评价提交后不能修改", "success")
    return redirect(url_for("views.firm", uscc=visit.firm.uscc) + f"#visit-{visit.id}")


# -- Anyone ----------------------------------------------------------------------------------------

@bp.get("/verify")
def verify_form():
    """The code verifier for a code typed or pasted by hand: it opens the code's own page."""
    code = "".join((request.args.get("code") or "").split())
    if code:
        if "/verify/" in code:  # the whole address of a scanned code
            code = code.rsplit("/verify/", 1)[1]
        return redirect(url_for("views.verify", code=code[:2000]))
    return render_template("visits/verify_form.html")


@bp.get("/verify/<code>")
@verify_limit
def verify(code: str):
    """亮码检查: the firm opens the code the officers show, without logging in."""
    state, visit = verify_code(db(), code, current_app.config["SECRET_KEY"])
    return render_template("visits/verify.html", info=verification(db(), state, visit))


@bp.get("/public/firms/<uscc>")
def public_firm(uscc: str):
    """一公开: a firm's published results."""
    firm = firm_or_404(uscc, visible_only=False)
    rows = db().execute(queries.published_results().where(InspectionTask.firm_id == firm.id)).all()
    return render_template("visits/public_firm.html", firm=firm, rows=rows)


# -- Department: results of its completed visits ------------------------------------------------

@bp.get("/plans/<int:plan_id>/results")
@roles_required("department")
def plan_results(plan_id: int):
    plan = department_plan(plan_id)
    visits = db().scalars(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                          .where(InspectionTask.plan_id == plan.id).distinct().order_by(Visit.day)).all()
    outcomes = {}
    for row in db().scalars(select(ItemOutcome).join(InspectionTask, InspectionTask.id == ItemOutcome.task_id)
                            .where(InspectionTask.plan_id == plan.id)):
        outcomes.setdefault(row.visit_id, []).append(row)
    notices = {d.visit_id: d for d in db().scalars(queries.result_notices_of_plan(plan.id))}  # newest wins
    return render_template("visits/plan_results.html", plan=plan, visits=visits, outcomes=outcomes,
                           today=clock.today(), notices=notices)


@bp.get("/plans/<int:plan_id>/visits/<int:visit_id>")
@roles_required("department")
def plan_visit(plan_id: int, visit_id: int):
    """The department's read of one visit of its plan: team, entry, results (the inspectors' page is theirs)."""
    plan = department_plan(plan_id)
    visit = db().get(Visit, visit_id)
    if visit is None or plan.id not in {t.plan_id for t in visit.tasks}:
        abort(404)
    outcomes = db().scalars(select(ItemOutcome).where(ItemOutcome.visit_id == visit.id)
                            .order_by(ItemOutcome.id)).all()
    return render_template("visits/plan_visit.html", plan=plan, visit=visit, entry=db().get(VisitEntry, visit.id),
                           outcomes=outcomes, today=clock.today())


@bp.post("/visits/<int:visit_id>/publish")
@roles_required("department")
def publish(visit_id: int):
    visit = db().get(Visit, visit_id)
    if visit is None:
        abort(404)
    plan_id = next((t.plan_id for t in visit.tasks if t.plan.department_id == current_user.department_id), None)
    if plan_id is None:
        abort(404)
    return attempt(lambda: publish_results(db(), current_user, visit), "检查结果已公示",
                   url_for("views.plan_results", plan_id=plan_id))


def firm_visits_context(firm) -> dict:
    """The firm's record as its page shows it (without the findings, which the page does not list)."""
    return {"record": firm_record(db(), firm, current_user, with_findings=False), "complaints": COMPLAINT_LABELS}



@bp.get("/public/results")
def public_results():
    """一公开: every published result, searchable by firm (name or code) and plan, without login."""
    text = (request.args.get("q") or "").strip()[:50]
    plan_id = id_arg("plan", label="计划")
    page = page_arg()
    stmt = queries.published_results()
    if text:
        stmt = stmt.where(or_(Firm.name.like(f"%{text}%"), Firm.uscc.like(f"%{text}%")))
    if plan_id:
        stmt = stmt.where(InspectionPlan.id == plan_id)
    rows = db().execute(stmt.limit(51).offset((page - 1) * 50)).all()
    plans = db().scalars(select(InspectionPlan).where(InspectionPlan.id.in_(
        select(InspectionTask.plan_id).join(ItemOutcome, ItemOutcome.task_id == InspectionTask.id)
        .where(ItemOutcome.published_at.is_not(None)))).order_by(InspectionPlan.id.desc())).all()
    return render_template("visits/public_results.html", rows=rows[:50], more=len(rows) > 50, page=page, q=text,
                           plan_id=plan_id, plans=plans)
