"""The authorisation matrix: every endpoint of ``app.url_map`` x every role x own/other object, each with its
expected answer, and the leaks a refusal alone would not show (lists, exports, the code verifier, the
anonymous evaluations).

"Own" objects belong to the principal of each role (firm A, the market department, the market inspector on
visit A); "other" objects to firm B, the fire department and the fire team. A new endpoint without an entry
in ``MATRIX`` fails ``test_every_endpoint_has_an_entry``.
"""
from __future__ import annotations

import base64
import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from inspection.demo.approvals import approve_filed
from inspection.demo.city import LENIENCY_FILES
from inspection.models import (
    Alert,
    CampaignProposal,
    DepartmentEntry,
    ImportRun,
    RiskModel,
    RiskScore,
    Scan,
    ScheduleRun,
    User,
    VisitEntry,
    VisitOfficer,
)
from inspection.operations.documents import issue_entry_notice, issue_result_notice
from inspection.operations.draws import draw_plan
from inspection.operations.entries import (
    evaluate_visit,
    firm_token,
    inspection_code,
    record_finding,
    record_outcome,
)
from inspection.operations.events import utcnow
from inspection.operations.leniency import publish_list, read_list_file
from inspection.operations.offsite import add_evidence, send_request
from inspection.operations.plans import (
    create_campaign,
    create_plan,
    file_plan,
    file_targeted_plan,
)
from inspection.pure import risk
from tests.clocks import door_open_day
from tests.signatures import signature_png
from web.presenters.offsite import evidence_folder

TODAY = door_open_day()
pytestmark = pytest.mark.usefixtures("door_open")  # these tests walk the door
# A future period inside this year's catalogue (its items are in force until the end of the year).
PERIOD = (TODAY + dt.timedelta(days=1), max(TODAY + dt.timedelta(days=1), min(TODAY + dt.timedelta(days=21),
                                                                            dt.date(TODAY.year, 12, 31))))
ROLES = ("anonymous", "enterprise", "inspector", "department", "oversight", "admin")
OK, RAN, LOGIN = "ok", "ran", "login"
PDF = b"%PDF-1.7\n" + b"0" * 200
SIGNATURE = signature_png()
SECRET = "test-secret"
# Path arguments that name an object someone owns: an endpoint with one of them is tried on both sides.
OWNED = {"visit_id", "plan_id", "uscc", "request_id", "task_id", "outcome_id", "evidence_id", "campaign_id",
         "certificate_no", "code", "document_id"}


@dataclasses.dataclass
class Spec:
    """Expected answer per role (in ``ROLES`` order); a pair is (own, other). ``OK``: 2xx/3xx (not the
    login page); ``RAN``: past every permission check, refused or not by the rules of the state the two_departments is in
    (not 401/403/404); ``LOGIN``: a page's redirect to the login page; a number: that status."""
    expect: tuple
    args: Callable | None = None      # (two_departments, side) -> path arguments beyond the defaults
    body: Callable | None = None      # (two_departments, side) -> keyword arguments of client.open
    sided: bool = False               # the body names an owned object
    fixed: bool = False               # owned-looking arguments that are not about ownership (a catalogue code)
    head: object = None               # the department head's answer (market's head), when the endpoint concerns him

    def cases(self, rule) -> tuple[str, ...]:
        return ("own", "other") if self.sided or OWNED & set(rule.arguments) and not self.fixed else ("-",)


def S(*expect, **kwargs) -> Spec:
    assert len(expect) == len(ROLES)
    return Spec(expect, **kwargs)


def json_body(f):
    return lambda w, s: {"json": f(w, s)}


def form_body(f):
    return lambda w, s: {"data": f(w, s)}


OFFICIALS_READ = (401, 403, OK, OK, OK, OK)
OVERSIGHT_API = (401, 403, 403, 403, OK, OK)
OVERSIGHT_PAGE = (LOGIN, 403, 403, 403, OK, OK)
DEPT_API = (401, 403, 403, OK, 403, 403)
DEPT_PAGE = (LOGIN, 403, 403, OK, 403, 403)
INSP_API = (401, 403, OK, 403, 403, 403)
INSP_PAGE = (LOGIN, 403, OK, 403, 403, 403)
ADMIN_API = (401, 403, 403, 403, 403, OK)
ADMIN_PAGE = (LOGIN, 403, 403, 403, 403, OK)
ANYONE = (OK,) * 6
NOBODY_PAGE = (LOGIN, 403, 403, 403, 403, 403)   # of the six roles: the department head's own pages
NOBODY_API = (401, 403, 403, 403, 403, 403)
SIGNED_IN = (401, OK, OK, OK, OK, OK)
SIGNED_IN_PAGE = (LOGIN, OK, OK, OK, OK, OK)
MINE = (OK, 404)          # own object allowed, another's answers like a missing one
# Own object allowed, another's refused by the operation (NotPermitted): only for objects anyone may read
# (a department, a campaign), whose existence a 404 would not hide.
MINE_403 = (OK, 403)
RAN_404 = (RAN, 404)


def jwk() -> dict:
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()
    return {"kty": "EC", "crv": "P-256", "x": b64(numbers.x), "y": b64(numbers.y)}


def plan_body(w, s):
    return {"title": "矩阵测试计划", "period_start": PERIOD[0].isoformat(),
            "period_end": PERIOD[1].isoformat(), "items": ["SC-003"]}


def leniency_body(w, s):
    data, *_ = read_list_file(LENIENCY_FILES / "market.yaml")
    return {**data, "version": "matrix-1", "effective_from": TODAY.isoformat()}


MATRIX: dict[str, Spec] = {
    # -- pages without login, and the session
    "GET /": S(*ANYONE),
    "GET /favicon.ico": S(*ANYONE),
    "GET /catalogue": S(*ANYONE),
    "GET /catalogue/<code>": S(*ANYONE, args=lambda w, s: {"code": "SC-003"}, fixed=True),
    "GET /healthz": S(*ANYONE),
    "GET /health": S(*ANYONE),
    "GET /health/ready": S(*ANYONE),
    "GET /log": S(*ANYONE),
    "GET /login": S(*ANYONE),
    "POST /login": S(*ANYONE, body=form_body(lambda w, s: {"username": "market", "password": "demo1234"})),
    "POST /logout": S(*SIGNED_IN_PAGE),
    "GET /home": S(*SIGNED_IN_PAGE),
    "GET /sw.js": S(*ANYONE),
    "GET /static/<path:filename>": S(*ANYONE, args=lambda w, s: {"filename": "app.css"}),
    "GET /public/firms/<uscc>": S(*ANYONE),
    "GET /public/leniency": S(*ANYONE),
    "GET /public/leniency/<int:list_id>": S(*ANYONE, args=lambda w, s: {"list_id": w["list"]}),
    "GET /public/plans": S(*ANYONE),
    "GET /public/plans/<int:plan_id>": S(*ANYONE, args=lambda w, s: {"plan_id": w[s]["filed"]}),
    "GET /public/results": S(*ANYONE),
    "GET /verify/<code>": S(*ANYONE),
    "GET /verify": S(*ANYONE),
    "GET /protocols/<name>": S(*ANYONE, args=lambda w, s: {"name": "event-log"}),
    "GET /d/<token>": S(*ANYONE, head=OK, args=lambda w, s: {"token": w[s]["doc_token"]}),
    # -- firms
    "GET /firms": S(LOGIN, 403, OK, OK, OK, OK),
    "GET /firms/<uscc>": S(LOGIN, MINE, OK, OK, OK, OK),
    "GET /firms/<uscc>/code": S(LOGIN, MINE, 403, 403, 403, OK),
    "GET /firms/<uscc>/code.<fmt>": S(LOGIN, MINE, 403, 403, 403, OK, args=lambda w, s: {"fmt": "png"}),
    "POST /firms/<uscc>/code/rotate": S(LOGIN, MINE, 403, 403, 403, OK),
    "POST /firms/<uscc>/leads": S(LOGIN, 403, 403, OK, 403, 403, body=form_body(lambda w, s: {
        "kind": "complaint", "received_on": TODAY.isoformat(), "reference": "12345-2026-0001",
        "summary": "市民反映后厨卫生条件差"})),
    "POST /firms/<uscc>/no-code-reports": S(LOGIN, MINE, 403, 403, 403, 403, body=form_body(lambda w, s: {
        "occurred_at": f"{(TODAY - dt.timedelta(days=1)).isoformat()}T09:00", "officers": "两名自称执法人员"})),
    # -- the inspector's day
    "GET /scan": S(*INSP_PAGE),
    "POST /scan": S(LOGIN, 403, OK, 403, 403, 403, body=form_body(lambda w, s: {"token": w["A"]["token"]})),
    "GET /scan/<token>": S(*INSP_PAGE, args=lambda w, s: {"token": w["A"]["token"]}),
    "GET /offline": S(*INSP_PAGE),
    "GET /visits/<int:visit_id>": S(LOGIN, 403, MINE, MINE, 403, 403),
    "POST /visits/<int:visit_id>/items": S(LOGIN, 403, MINE, 403, 403, 403, body=form_body(lambda w, s: {
        "task": w[s]["task"], "item": w[s]["item"], f"result_{w[s]['point']}": "compliant"})),
    "POST /visits/<int:visit_id>/leave": S(LOGIN, 403, MINE, 403, 403, 403),
    "POST /visits/<int:visit_id>/invite": S(LOGIN, 403, MINE, 403, 403, 403,
                                            body=form_body(lambda w, s: {"task": w[s]["task"]})),
    "POST /visits/<int:visit_id>/postpone": S(LOGIN, 403, MINE, 403, 403, 403,
                                              body=form_body(lambda w, s: {"reason": "近期已检查"})),
    "POST /visits/<int:visit_id>/backfile": S(LOGIN, 403, MINE, MINE, 403, 403, body=form_body(lambda w, s: {
        "kind": "complaint", "reference": "12345", "summary": ""})),
    "POST /visits/<int:visit_id>/evaluation": S(LOGIN, MINE, 403, 403, 403, 403,
                                                args=lambda w, s: {"visit_id": w[s]["done"]},
                                                body=form_body(lambda w, s: {"score": "4"})),
    "POST /visits/<int:visit_id>/publish": S(LOGIN, 403, 403, MINE, 403, 403,
                                             args=lambda w, s: {"visit_id": w[s]["done"]}),
    "GET /evaluations": S(*DEPT_PAGE),
    # -- notices (通知): each account's own; oversight and admin are told nothing
    "GET /notices": S(LOGIN, OK, OK, OK, 403, 403, head=OK),
    "GET /notices/<int:notice_id>": S(LOGIN, 404, 404, 404, 403, 403, head=404, fixed=True,
                                      args=lambda w, s: {"notice_id": 2_000_000}),
    "POST /notices/read": S(LOGIN, OK, OK, OK, 403, 403, head=OK, body=form_body(lambda w, s: {})),
    "POST /notices/contact": S(LOGIN, OK, OK, OK, 403, 403, head=OK,
                               body=form_body(lambda w, s: {"email": "someone@inspection.example", "phone": ""})),
    # -- approvals (凡检查必审批) and documents (凡检查必通知)
    "GET /approvals": S(*NOBODY_PAGE, head=OK),
    "GET /approvals/<int:plan_id>": S(*NOBODY_PAGE, head=MINE, args=lambda w, s: {"plan_id": w[s]["filed"]}),
    "POST /approvals/<int:plan_id>": S(*NOBODY_PAGE, head=MINE, args=lambda w, s: {"plan_id": w[s]["filed"]},
                                       body=form_body(lambda w, s: {"decision": "approve", "task_source": "random"})),
    "GET /documents": S(*SIGNED_IN_PAGE, head=OK),
    "POST /documents/<int:document_id>/acknowledge": S(LOGIN, MINE, 403, 403, 403, 403, head=403),
    "GET /visits/<int:visit_id>/record": S(LOGIN, 403, MINE, 403, 403, 403, head=403),
    "POST /visits/<int:visit_id>/result-notice": S(LOGIN, 403, 403, MINE, 403, 403, head=403,
                                                   args=lambda w, s: {"visit_id": w[s]["done"]}),
    "POST /visits/<int:visit_id>/record": S(LOGIN, 403, MINE, 403, 403, 403, head=403, body=form_body(lambda w, s: {
        "signer_name": "张三", "signature": "data:image/png;base64," + base64.b64encode(SIGNATURE).decode()})),
    "GET /visits/<int:visit_id>/field-records/<kind>": S(LOGIN, 403, MINE, 403, 403, 403, head=403,
                                                         args=lambda w, s: {"kind": "questioning"}),
    "POST /visits/<int:visit_id>/field-records/<kind>": S(LOGIN, 403, MINE, 403, 403, 403, head=403,
                                                          args=lambda w, s: {"kind": "questioning"},
                                                          body=form_body(lambda w, s: {
                                                              "item": w[s]["item"], "person": "张三 店长",
                                                              "questions": "问：台账由谁记录？答：店长。",
                                                              "refused": "yes", "witness": "王五"})),
    "POST /documents/<int:document_id>/statement": S(LOGIN, MINE, 403, 403, 403, 403, head=403,
                                                     body=form_body(lambda w, s: {"text": "对检查结果有异议，请复核。"})),
    # -- plans, schedules
    "GET /plans": S(*DEPT_PAGE),
    "GET /plans/new": S(*DEPT_PAGE),
    "POST /plans/new": S(*DEPT_PAGE, body=form_body(lambda w, s: {
        "title": "矩阵测试计划", "period_start": PERIOD[0].isoformat(),
        "period_end": PERIOD[1].isoformat(), "items": "SC-003", "ratio_A": "5"})),
    "GET /plans/<int:plan_id>": S(LOGIN, 403, 403, MINE, 403, 403),
    "POST /plans/<int:plan_id>/<action>": S(LOGIN, 403, 403, MINE, 403, 403, args=lambda w, s: {"action": "file"}),
    "POST /plans/<int:plan_id>/proposals/<int:proposal_id>": S(
        LOGIN, 403, 403, MINE, 403, 403, args=lambda w, s: {"proposal_id": w["proposal"]},
        body=form_body(lambda w, s: {"accept": "no"})),
    "GET /plans/<int:plan_id>/results": S(LOGIN, 403, 403, MINE, 403, 403,
                                          args=lambda w, s: {"plan_id": w[s]["visit_plan"]}),
    "GET /plans/<int:plan_id>/schedule": S(LOGIN, 403, 403, MINE, 403, 403),
    "GET /plans/<int:plan_id>/edit": S(LOGIN, 403, 403, MINE, 403, 403),
    "POST /plans/<int:plan_id>/edit": S(LOGIN, 403, 403, MINE, 403, 403, body=form_body(lambda w, s: {
        "title": "矩阵测试计划", "period_start": PERIOD[0].isoformat(),
        "period_end": PERIOD[1].isoformat(), "items": "SC-003", "ratio_A": "5"})),
    "GET /plans/<int:plan_id>/visits/<int:visit_id>": S(LOGIN, 403, 403, MINE, 403, 403,
                                                       args=lambda w, s: {"plan_id": w[s]["visit_plan"]}),
    "POST /plans/<int:plan_id>/schedule/build": S(LOGIN, 403, 403, MINE, 403, 403),
    "POST /plans/<int:plan_id>/schedule/confirm": S(LOGIN, 403, 403, MINE, 403, 403),
    "POST /plans/<int:plan_id>/visits/<int:visit_id>/<action>": S(
        LOGIN, 403, 403, MINE, 403, 403,
        args=lambda w, s: {"plan_id": w[s]["visit_plan"], "action": "lock"}),
    # -- off-site checks
    "GET /offsite": S(*SIGNED_IN_PAGE),
    "GET /offsite/<int:request_id>": S(LOGIN, MINE, MINE, MINE, OK, OK),
    "POST /offsite/<int:request_id>/evidence": S(LOGIN, MINE, 403, 403, 403, 403, body=lambda w, s: {
        "data": {"point": str(w[s]["request_point"]), "file": (io.BytesIO(PDF), "证明.pdf")},
        "content_type": "multipart/form-data"}),
    "POST /offsite/<int:request_id>/evidence/<int:evidence_id>/remove": S(LOGIN, MINE, 403, 403, 403, 403),
    "POST /offsite/<int:request_id>/extend": S(LOGIN, MINE, 403, 403, 403, 403,
                                               body=form_body(lambda w, s: {"reason": "材料正在准备"})),
    "POST /offsite/<int:request_id>/submit": S(LOGIN, MINE, 403, 403, 403, 403),
    "POST /offsite/<int:request_id>/review": S(LOGIN, 403, MINE, 403, 403, 403),
    "POST /offsite/<int:request_id>/publish": S(LOGIN, 403, 403, MINE, 403, 403),
    "GET /offsite/evidence/<int:evidence_id>": S(LOGIN, MINE, MINE, MINE, OK, OK),
    "POST /offsite/send-all": S(*DEPT_PAGE),
    "POST /offsite/tasks/<int:task_id>/send": S(LOGIN, 403, MINE, MINE, 403, 403),
    "POST /outcomes/<int:outcome_id>/rectified": S(LOGIN, 403, 403, MINE, 403, 403),
    # -- flexible enforcement, risk, admin
    "GET /leniency": S(*DEPT_PAGE),
    "POST /leniency": S(*DEPT_PAGE),
    "GET /leniency/form": S(*DEPT_PAGE),
    "POST /leniency/form": S(LOGIN, 403, 403, RAN, 403, 403),
    "GET /rules": S(LOGIN, 403, 403, OK, OK, OK),
    "POST /rules/city": S(*ADMIN_PAGE, body=form_body(lambda w, s: {
        "hours_start": "07:00", "hours_end": "21:00", "quiet_period_max_days": "30", "min_visit_minutes": "10"})),
    "POST /rules/yearly-cap": S(*DEPT_PAGE, body=form_body(lambda w, s: {"yearly_cap": "4"})),
    "POST /rules/quiet-periods": S(LOGIN, 403, 403, OK, OK, OK, body=form_body(lambda w, s: {
        "scope": "city", "firm": w["A"]["uscc"], "reason": "企业申请", "evidence": "审批文件 2026-1 号",
        "start": (TODAY + dt.timedelta(days=30)).isoformat(), "end": (TODAY + dt.timedelta(days=35)).isoformat()})),
    "GET /admin/risk": S(LOGIN, 403, 403, 403, OK, OK),
    "POST /admin/risk": S(LOGIN, 403, 403, 403, OK, OK),
    "GET /admin/imports": S(*ADMIN_PAGE),
    "POST /admin/imports": S(*ADMIN_PAGE),
    "GET /admin/imports/<int:run_id>": S(*ADMIN_PAGE, args=lambda w, s: {"run_id": w["import_run"]}),
    "GET /admin/exports/<kind>.<fmt>": S(*ADMIN_PAGE, args=lambda w, s: {"kind": "firms", "fmt": "csv"}),
    # -- oversight
    "GET /oversight/alerts": S(*OVERSIGHT_PAGE),
    "GET /oversight/alerts.<fmt>": S(*OVERSIGHT_PAGE, args=lambda w, s: {"fmt": "csv"}),
    "POST /oversight/alerts/<int:alert_id>": S(*OVERSIGHT_PAGE, args=lambda w, s: {"alert_id": w["alert"]},
                                               body=form_body(lambda w, s: {"status": "explained", "note": "已核实"})),
    "POST /oversight/alerts/refresh": S(*OVERSIGHT_PAGE),
    "GET /oversight/dashboard": S(*OVERSIGHT_PAGE),
    "GET /oversight/departments.<fmt>": S(*OVERSIGHT_PAGE, args=lambda w, s: {"fmt": "xlsx"}),
    "GET /oversight/offsite": S(*OVERSIGHT_PAGE),
    "GET /oversight/offsite.<fmt>": S(*OVERSIGHT_PAGE, args=lambda w, s: {"fmt": "csv"}),
    "GET /oversight/plans": S(*OVERSIGHT_PAGE),
    "GET /oversight/report": S(*OVERSIGHT_PAGE),
    "GET /oversight/visits": S(*OVERSIGHT_PAGE),
    "GET /oversight/visits.<fmt>": S(*OVERSIGHT_PAGE, args=lambda w, s: {"fmt": "csv"}),

    # == the API
    "GET /api/v1/openapi.json": S(*ANYONE),
    "POST /api/v1/session": S(*ANYONE, body=json_body(lambda w, s: {"username": "market", "password": "demo1234"})),
    "DELETE /api/v1/session": S(*SIGNED_IN),
    "GET /api/v1/me": S(*SIGNED_IN),
    "GET /api/v1/departments": S(*ANYONE),
    "GET /api/v1/catalogue/items": S(*ANYONE),
    "GET /api/v1/catalogue/items/<code>": S(*ANYONE, args=lambda w, s: {"code": "SC-003"}, fixed=True),
    "GET /api/v1/log/head": S(*ANYONE),
    "GET /api/v1/log/export": S(*ANYONE),
    "GET /api/v1/log/records": S(*OVERSIGHT_API),
    "GET /api/v1/log/verify": S(*OVERSIGHT_API),
    "GET /api/v1/public/firms/<uscc>/results": S(*ANYONE),
    "GET /api/v1/public/leniency-lists": S(*ANYONE),
    "GET /api/v1/public/leniency-lists/<int:list_id>": S(*ANYONE, args=lambda w, s: {"list_id": w["list"]}),
    "GET /api/v1/public/plans/<int:plan_id>/draw": S(*ANYONE, args=lambda w, s: {"plan_id": w[s]["drawn"]}),
    "GET /api/v1/verify/<code>": S(*ANYONE),
    "GET /api/v1/public/documents/<token>": S(*ANYONE, head=OK, args=lambda w, s: {"token": w[s]["doc_token"]}),
    # -- firms
    "GET /api/v1/firms": S(*OFFICIALS_READ),
    "GET /api/v1/firms/<uscc>": S(401, MINE, OK, OK, OK, OK),
    "GET /api/v1/firms/<uscc>/visits": S(401, MINE, OK, OK, OK, OK),
    "POST /api/v1/firms/<uscc>/code/rotate": S(401, MINE, 403, 403, 403, OK),
    "POST /api/v1/firms/<uscc>/no-code-reports": S(401, MINE, 403, 403, 403, 403, body=json_body(lambda w, s: {
        "occurred_at": f"{(TODAY - dt.timedelta(days=1)).isoformat()}T01:00:00Z", "officers": "两名自称执法人员"})),
    "POST /api/v1/firms/<uscc>/leads": S(401, 403, 403, OK, 403, 403, body=json_body(lambda w, s: {
        "kind": "complaint", "received_on": TODAY.isoformat(), "reference": "12345-2026-0002",
        "summary": "市民反映后厨卫生条件差"})),
    "POST /api/v1/leads/hotline": S(401, 403, 403, OK, 403, 403, body=json_body(lambda w, s: {"records": [
        {"hotline_no": "12345-2026-0003", "uscc": w["A"]["uscc"], "received_on": TODAY.isoformat(),
         "summary": "市民反映超市销售过期食品"}]})),
    "GET /api/v1/firms/<uscc>/risk": S(401, 403, 403, OK, OK, OK),
    # -- at the firm
    "POST /api/v1/scans": S(401, 403, OK, 403, 403, 403, body=json_body(lambda w, s: {"token": w["A"]["token"]})),
    "GET /api/v1/visits/<int:visit_id>/sheet": S(401, 403, MINE, 403, 403, 403),
    "GET /api/v1/visits/<int:visit_id>/prompt": S(401, 403, MINE, 403, 403, 403),
    "POST /api/v1/visits/<int:visit_id>/findings": S(401, 403, MINE, 403, 403, 403, body=json_body(lambda w, s: {
        "task": w[s]["task"], "point": w[s]["point"], "result": "compliant"})),
    "POST /api/v1/visits/<int:visit_id>/outcomes": S(401, 403, MINE, 403, 403, 403, body=json_body(lambda w, s: {
        "task": w[s]["task"], "item": w[s]["item"], "outcome": "no_problem"})),
    "POST /api/v1/visits/<int:visit_id>/leniency-decisions": S(401, 403, RAN_404, 403, 403, 403,
                                                               body=json_body(lambda w, s: {
                                                                   "task": w[s]["task"], "point": w[s]["point"]})),
    "POST /api/v1/visits/<int:visit_id>/leave": S(401, 403, MINE, 403, 403, 403),
    "POST /api/v1/visits/<int:visit_id>/invite": S(401, 403, RAN_404, 403, 403, 403,
                                                   body=json_body(lambda w, s: {"task": w[s]["task"]})),
    "POST /api/v1/visits/<int:visit_id>/postpone": S(401, 403, RAN_404, 403, 403, 403,
                                                     body=json_body(lambda w, s: {"reason": "近期已检查同一事项"})),
    "POST /api/v1/visits/<int:visit_id>/backfile": S(401, 403, RAN_404, RAN_404, 403, 403, body=json_body(lambda w, s: {
        "kind": "complaint", "reference": "12345"})),
    "POST /api/v1/visits/<int:visit_id>/publish": S(401, 403, 403, MINE, 403, 403,
                                                    args=lambda w, s: {"visit_id": w[s]["done"]}),
    "POST /api/v1/visits/<int:visit_id>/evaluation": S(401, MINE, 403, 403, 403, 403,
                                                       args=lambda w, s: {"visit_id": w[s]["done"]},
                                                       body=json_body(lambda w, s: {"score": 4})),
    "GET /api/v1/visits/<int:visit_id>/ranking": S(401, 403, 403, MINE, OK, OK),
    "POST /api/v1/visits/<int:visit_id>/lock": S(401, 403, 403, RAN_404, 403, 403,
                                                 body=json_body(lambda w, s: {"locked": True})),
    "POST /api/v1/visits/<int:visit_id>/move": S(401, 403, 403, RAN_404, 403, 403,
                                                 body=json_body(lambda w, s: {"day": TODAY.isoformat()})),
    "GET /api/v1/evaluations/summary": S(*DEPT_API),
    "POST /api/v1/devices": S(*INSP_API, body=json_body(lambda w, s: {"public_key": jwk()})),
    "GET /api/v1/offline/bundle": S(*INSP_API),
    "POST /api/v1/offline/sync": S(*INSP_API, body=json_body(lambda w, s: {"records": []})),
    # -- plans, campaigns, schedules, rules
    "GET /api/v1/plans": S(401, 403, 403, OK, OK, OK),
    "POST /api/v1/plans": S(*DEPT_API, body=json_body(plan_body)),
    "GET /api/v1/plans/<int:plan_id>": S(401, 404, MINE, MINE, OK, OK),
    "POST /api/v1/plans/<int:plan_id>/file": S(401, 403, 403, MINE, 403, 403),
    "POST /api/v1/plans/<int:plan_id>/draw": S(401, 403, 403, MINE, 403, 403,
                                               args=lambda w, s: {"plan_id": w[s]["approved"]}),
    "POST /api/v1/plans/<int:plan_id>/cancel": S(401, 403, 403, MINE, 403, 403,
                                                 body=json_body(lambda w, s: {"reason": "计划调整"})),
    "GET /api/v1/plans/<int:plan_id>/campaign-proposals": S(401, 403, 403, MINE, OK, OK),
    "POST /api/v1/campaign-proposals/<int:proposal_id>/answer": S(
        401, 403, 403, MINE, 403, 403, args=lambda w, s: {"proposal_id": w["proposal"]},
        body=json_body(lambda w, s: {"plan": w[s]["plan"], "accept": False}), sided=True),
    "POST /api/v1/campaigns": S(*DEPT_API, body=json_body(lambda w, s: {
        "title": "矩阵联合抽查", "period_start": PERIOD[0].isoformat(),
        "period_end": PERIOD[1].isoformat()})),
    # A campaign's title, seed commitment and its filed plans' states are public (一公开), like the draw records;
    # its draft plans are listed only to their own department.
    "GET /api/v1/campaigns/<int:campaign_id>": S(*ANYONE),
    "POST /api/v1/campaigns/<int:campaign_id>/draw": S(401, 403, 403, (RAN, 403), 403, 403),
    "POST /api/v1/plans/<int:plan_id>/schedule": S(401, 403, 403, RAN_404, 403, 403),
    "POST /api/v1/plans/<int:plan_id>/confirm": S(401, 403, 403, RAN_404, 403, 403),
    "GET /api/v1/plans/<int:plan_id>/visits": S(401, 403, 403, MINE, OK, OK,
                                                args=lambda w, s: {"plan_id": w[s]["visit_plan"]}),
    "GET /api/v1/schedule-runs/<int:run_id>": S(401, 403, 403, OK, OK, OK, args=lambda w, s: {"run_id": w["run"]}),
    "GET /api/v1/quiet-periods": S(*OFFICIALS_READ),
    # -- approvals and documents
    "GET /api/v1/plans/<int:plan_id>/approval-form": S(401, 403, 403, MINE, OK, OK, head=MINE),
    "POST /api/v1/plans/<int:plan_id>/approval": S(*NOBODY_API, head=MINE, args=lambda w, s: {"plan_id": w[s]["filed"]},
                                                   body=json_body(lambda w, s: {"task_source": "random"})),
    "POST /api/v1/plans/<int:plan_id>/refusal": S(*NOBODY_API, head=MINE, args=lambda w, s: {"plan_id": w[s]["filed"]},
                                                  body=json_body(lambda w, s: {"reason": "检查对象范围不清"})),
    "GET /api/v1/documents": S(*SIGNED_IN, head=OK),
    "GET /api/v1/documents/<int:document_id>": S(401, MINE, MINE, MINE, OK, OK, head=MINE),
    "GET /api/v1/documents/<int:document_id>/pdf": S(401, MINE, MINE, MINE, OK, OK, head=MINE),
    "POST /api/v1/documents/<int:document_id>/correction": S(401, 403, 403, MINE, 403, 403, head=403,
                                                             body=json_body(lambda w, s: {"reason": "地址有误"})),
    "POST /api/v1/visits/<int:visit_id>/record": S(401, 403, MINE, 403, 403, 403, head=403, body=json_body(
        lambda w, s: {"signer_name": "张三", "signature": base64.b64encode(SIGNATURE).decode()})),
    "POST /api/v1/documents/<int:document_id>/acknowledgement": S(401, MINE, 403, 403, 403, 403, head=403),
    "POST /api/v1/documents/<int:document_id>/statement": S(401, MINE, 403, 403, 403, 403, head=403, body=json_body(
        lambda w, s: {"text": "对检查结果有异议，请复核。"})),
    "GET /api/v1/visits/<int:visit_id>/notice": S(401, 403, MINE, 403, 403, 403, head=403),
    "POST /api/v1/visits/<int:visit_id>/field-records": S(401, 403, MINE, 403, 403, 403, head=403, body=json_body(
        lambda w, s: {"kind": "premises", "content": {"item": w[s]["item"], "place": "后厨", "situation": "地面整洁"},
                      "refused": True, "witness": "王五"})),
    "POST /api/v1/visits/<int:visit_id>/result-notice": S(401, 403, 403, MINE, 403, 403, head=403,
                                                          args=lambda w, s: {"visit_id": w[s]["done"]}),
    # A firm's quiet period is approved by a department (binding its own plans) or, binding every department,
    # by oversight with evidence; oversight and admins set city or district ones.
    "POST /api/v1/quiet-periods": S(401, 403, 403, OK, OK, 403, body=json_body(lambda w, s: {
        "scope": "firm", "firm": w["A"]["uscc"], "reason": "企业申请", "start": TODAY.isoformat(),
        "end": (TODAY + dt.timedelta(days=10)).isoformat(), "evidence": "审批文件 2026-1 号"})),
    "PUT /api/v1/departments/<code>/yearly-cap": S(401, 403, 403, MINE_403, 403, 403,
                                                   args=lambda w, s: {"code": w[s]["department"]},
                                                   body=json_body(lambda w, s: {"yearly_cap": 4})),
    "POST /api/v1/officers/<certificate_no>/conflicts": S(401, 403, MINE, MINE, 403, 403,
                                                          body=json_body(lambda w, s: {"firm": w["A"]["uscc"],
                                                                                  "reason": "近亲属任职"})),
    # -- off-site checks
    "GET /api/v1/offsite": S(*SIGNED_IN),
    "GET /api/v1/offsite/<int:request_id>": S(401, MINE, MINE, MINE, OK, OK),
    "POST /api/v1/offsite/<int:request_id>/evidence": S(401, MINE, 403, 403, 403, 403, body=lambda w, s: {
        "data": {"point": str(w[s]["request_point"]), "file": (io.BytesIO(PDF), "证明.pdf")},
        "content_type": "multipart/form-data"}),
    "POST /api/v1/offsite/<int:request_id>/extension": S(401, MINE, 403, 403, 403, 403,
                                                         body=json_body(lambda w, s: {"reason": "材料正在准备"})),
    "POST /api/v1/offsite/<int:request_id>/submit": S(401, RAN_404, 403, 403, 403, 403),
    "POST /api/v1/offsite/<int:request_id>/review": S(401, 403, RAN_404, 403, 403, 403,
                                                      body=json_body(lambda w, s: {"decisions": []})),
    "POST /api/v1/offsite/<int:request_id>/publish": S(401, 403, 403, RAN_404, 403, 403),
    "POST /api/v1/tasks/<int:task_id>/offsite-request": S(401, 403, MINE, MINE, 403, 403),
    "POST /api/v1/outcomes/<int:outcome_id>/rectified": S(401, 403, 403, MINE, 403, 403, body=json_body(lambda w, s: {})),
    # -- oversight, risk, flexible enforcement, admin
    "GET /api/v1/oversight/alerts": S(*OVERSIGHT_API),
    "POST /api/v1/oversight/alerts/<int:alert_id>": S(*OVERSIGHT_API, args=lambda w, s: {"alert_id": w["alert"]},
                                                      body=json_body(lambda w, s: {"status": "explained",
                                                                              "note": "已核实"})),
    "POST /api/v1/oversight/alerts/refresh": S(*OVERSIGHT_API),
    "GET /api/v1/risk-models": S(401, 403, 403, OK, OK, OK),
    "GET /api/v1/risk-models/<version>": S(401, 403, 403, OK, OK, OK, args=lambda w, s: {"version": w["model"]}),
    "POST /api/v1/risk-models": S(401, 403, 403, 403, OK, OK),
    "POST /api/v1/leniency-lists": S(*DEPT_API, body=json_body(leniency_body)),
    "GET /api/v1/import-runs/<int:run_id>": S(*ADMIN_API, args=lambda w, s: {"run_id": w["import_run"]}),
}

DEFAULT_ARGS = {"visit_id": "visit", "plan_id": "plan", "uscc": "uscc", "request_id": "request",
                "task_id": "offsite_task", "outcome_id": "outcome", "evidence_id": "evidence",
                "campaign_id": "campaign", "certificate_no": "certificate_no", "code": "code",
                "document_id": "document"}


def endpoint_keys(app) -> list[str]:
    keys = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            keys.append(f"{method} {rule.rule}")
    return sorted(keys)


def rule_of(app, key: str):
    method, path = key.split(" ", 1)
    return next(r for r in app.url_map.iter_rules() if r.rule == path and method in r.methods)


def test_every_endpoint_has_an_entry(app):
    keys = endpoint_keys(app)
    assert sorted(set(keys) - set(MATRIX)) == [], "endpoints without an entry in the authorisation matrix"
    assert sorted(set(MATRIX) - set(keys)) == [], "matrix entries of endpoints that no longer exist"


def test_refusals_of_another_firms_objects_are_in_the_table():
    """An enterprise is never allowed an object of another firm, whatever the endpoint."""
    for key, spec in MATRIX.items():
        expected = spec.expect[ROLES.index("enterprise")]
        if isinstance(expected, tuple):
            assert expected[1] in (403, 404), key


# -- the two_departments -------------------------------------------------------------------------------------

def _side(db_session, app, make_firm, make_user, entered, *, code, item, offsite_item, industry, name):
    """A firm with its account, an inspector with an account on a running visit there, its department's
    draft, filed and drawn plans, a finished visit with an unpublished rectification, an evaluated visit,
    an off-site request with a file and an unsent off-site task."""
    dept_user = db_session.scalar(select(User).where(User.username == code))
    department = dept_user.department
    district = min(department.districts, key=lambda d: d.code)
    firm = make_firm(name, district_code=district.code, industry=industry)
    enterprise = make_user("enterprise", firm=firm)
    inspector = make_user("inspector", department=code)
    inspector.officer.districts = list(department.districts)
    db_session.flush()

    def visit():
        row = entered(firm, department=code, item=item, day=TODAY, status="in_progress")
        db_session.add(VisitOfficer(visit_id=row.id, officer_id=inspector.officer_id, department_id=department.id))
        # The inspector scanned in with his department, an hour ago (in the past at any hour: TODAY is China's date).
        at = utcnow() - dt.timedelta(hours=1)
        db_session.add(Scan(kind="in", firm_id=firm.id, officer_id=inspector.officer_id, visit_id=row.id, at=at,
                            accepted=True))
        entry, part = db_session.get(VisitEntry, row.id), db_session.get(DepartmentEntry, (row.id, department.id))
        entry.entered_at = part.entered_at = at
        entry.left_at = part.left_at = None
        db_session.flush()
        db_session.refresh(row, ["officers", "tasks"])
        return row

    running = visit()
    issue_entry_notice(db_session, running, department)   # issued after the entry, as the scan's job does
    task = running.tasks[0]
    points = task.plan.items[0].points
    for point in points:
        record_finding(db_session, inspector, running, task.id, point.id, "compliant", "")

    done = visit()
    done_task = done.tasks[0]
    done_points = done_task.plan.items[0].points
    for n, point in enumerate(done_points):
        record_finding(db_session, inspector, done, done_task.id, point.id, "non_compliant" if n == 0 else "compliant",
                       "消毒记录缺失" if n == 0 else "")
    outcome = record_outcome(db_session, inspector, done, done_task.id, item, "rectify", TODAY + dt.timedelta(days=20),
                             publish_within=20)
    done.status = "completed"
    db_session.get(VisitEntry, done.id).left_at = db_session.get(DepartmentEntry, (done.id, department.id)).left_at = utcnow()
    result = issue_result_notice(db_session, dept_user, done, department)

    evaluated = visit()
    evaluated.status = "completed"
    db_session.flush()
    comment = f"{name}的评价：执法人员态度恶劣"
    evaluate_visit(db_session, enterprise, evaluated, 1, comment, "improper_conduct")

    period = PERIOD
    draft = create_plan(db_session, dept_user, title=f"{code} 草稿计划", period_start=period[0], period_end=period[1],
                        item_codes=[item], ratios={"A": 0.05, "B": 0.05, "C": 0.1, "D": 0.2})
    filed = file_plan(db_session, dept_user, create_plan(
        db_session, dept_user, title=f"{code} 已备案计划", period_start=period[0], period_end=period[1],
        item_codes=[item], ratios={"A": 0.05, "B": 0.05, "C": 0.1, "D": 0.2}))
    approved = file_plan(db_session, dept_user, create_plan(
        db_session, dept_user, title=f"{code} 已批准计划", period_start=period[0], period_end=period[1],
        item_codes=[item], ratios={"A": 0.05, "B": 0.05, "C": 0.1, "D": 0.2}))
    approve_filed(db_session, approved)
    drawn = file_plan(db_session, dept_user, create_plan(
        db_session, dept_user, title=f"{code} 已抽取计划", period_start=period[0], period_end=period[1],
        item_codes=[item], ratios={"A": 0.02, "B": 0.02, "C": 0.02, "D": 0.02}))
    approve_filed(db_session, drawn)
    draw_plan(db_session, dept_user, drawn)
    campaign = create_campaign(db_session, dept_user, title=f"{code} 联合抽查", period_start=period[0],
                               period_end=period[1])
    create_plan(db_session, dept_user, title=f"{code} 联合抽查计划", period_start=period[0], period_end=period[1],
                item_codes=[item], ratios={"A": 0.05}, campaign=campaign)

    offsite_plan = file_targeted_plan(db_session, dept_user, department, title=f"{code} 非现场核查",
                                      item_codes=[offsite_item], firms=[firm], lead="测试线索",
                                      period_start=TODAY, period_end=PERIOD[1])
    request = send_request(db_session, dept_user, offsite_plan.tasks[0])
    request_point = offsite_plan.items[0].points[0]
    with app.test_request_context():
        evidence = add_evidence(db_session, enterprise, request, request_point.id, folder=evidence_folder(),
                                filename="证明.pdf", data=PDF, max_bytes=10 * 1024 * 1024)
    unsent = file_targeted_plan(db_session, dept_user, department, title=f"{code} 待发非现场核查",
                                item_codes=[offsite_item], firms=[firm], lead="测试线索",
                                period_start=TODAY, period_end=PERIOD[1])
    db_session.flush()
    token = firm_token(db_session, firm).token
    return {
        "name": firm.name, "uscc": firm.uscc, "firm_id": firm.id, "department": code,
        "department_id": department.id, "department_name": department.name, "item": item,
        "visit": running.id, "task": task.id, "point": points[0].id, "visit_plan": task.plan_id,
        "done": done.id, "outcome": outcome.id, "evaluated": evaluated.id, "evaluation_comment": comment,
        "plan": draft.id, "filed": filed.id, "approved": approved.id, "drawn": drawn.id, "campaign": campaign.id,
        "request": request.id, "request_point": request_point.id, "evidence": evidence.id,
        "offsite_task": unsent.tasks[0].id, "token": token,
        "code": inspection_code(running, db_session.get(VisitEntry, running.id), SECRET),
        "certificate_no": inspector.officer.certificate_no, "officer_name": inspector.officer.name,
        "document": result.id, "doc_token": result.verify_token,
        "users": {"enterprise": enterprise.id, "inspector": inspector.id, "department": dept_user.id,
                  "head": db_session.scalar(select(User.id).where(User.username == f"{code}-head"))},
    }


@pytest.fixture
def two_departments(app, db_session, make_firm, make_user, entered):
    a = _side(db_session, app, make_firm, make_user, entered, code="market", item="SC-003", offsite_item="SC-011",
              industry="餐饮服务", name="甲方矩阵餐饮有限公司")
    b = _side(db_session, app, make_firm, make_user, entered, code="fire", item="XF-002", offsite_item="XF-005",
              industry="住宿", name="乙方矩阵宾馆有限公司")
    users = {u.username: u.id for u in db_session.scalars(select(User).where(User.username.in_(("oversight",
                                                                                                "admin"))))}
    now = utcnow()
    alert = Alert(rule="low_evaluation", key="matrix:alert", title="矩阵测试预警", evidence={}, raised_at=now,
                  department_id=b["department_id"], firm_id=b["firm_id"])
    run = ScheduleRun(period_start=TODAY, period_end=TODAY, plan_ids=[a["visit_plan"]], created_at=now)
    import_run = ImportRun(kind="firms", filename="firms.csv", stored_path="/nonexistent/firms.csv", created_at=now)
    proposal = CampaignProposal(key="matrix:proposal", plan_ids=[a["plan"], b["plan"]], expected_visits_independent=2.0,
                                expected_visits_joint=1.0, shared_firms=1, created_at=now)
    model = RiskModel(version="matrix-1", status="published", created_at=now, trained_at=now,
                      features=list(risk.FEATURES), params={"coef": [0.0] * len(risk.FEATURES)}, metrics={})
    db_session.add_all([alert, run, import_run, proposal, model])
    db_session.flush()
    for side in (a, b):
        db_session.add(RiskScore(model_id=model.id, firm_id=a["firm_id"], department_id=side["department_id"],
                                 score=0.5, factors=[]))
    data, node, label, sha256 = read_list_file(LENIENCY_FILES / "market.yaml")
    listed, _ = publish_list(db_session, None, data, label=label, sha256=sha256, node=node)
    db_session.commit()
    return {"A": a, "B": b, "alert": alert.id, "run": run.id, "import_run": import_run.id, "proposal": proposal.id,
            "model": model.version, "list": listed.id,
            "principals": {"enterprise": a["users"]["enterprise"], "inspector": a["users"]["inspector"],
                           "department": a["users"]["department"], "oversight": users["oversight"],
                           "admin": users["admin"], "head": a["users"]["head"]}}


# -- running a case --------------------------------------------------------------------------------

def sign_in(client, two_departments, role: str) -> None:
    with client.session_transaction() as session:
        session.clear()
        if role != "anonymous":
            session["_user_id"] = str(two_departments["principals"][role])
            session["_fresh"] = True


def build_path(rule, spec: Spec, two_departments, side: str) -> str:
    extra = spec.args(two_departments, side) if spec.args else {}
    values = {}
    for name in rule.arguments:
        if name in extra:
            values[name] = extra[name]
        else:
            values[name] = two_departments[side][DEFAULT_ARGS[name]]
    path = rule.rule
    for name, value in values.items():
        for pattern in (f"<{name}>", f"<int:{name}>", f"<path:{name}>"):
            path = path.replace(pattern, str(value))
    return path


def judge(expected, response) -> bool:
    status = response.status_code
    to_login = status in (301, 302, 303) and "/login" in response.headers.get("Location", "")
    if expected == OK:
        return 200 <= status < 400 and not to_login
    if expected == LOGIN:
        return to_login
    if expected == RAN:
        return status not in (401, 403, 404) and not to_login and status < 500
    return status == expected


class Case:
    """One request of the matrix inside a savepoint: whatever it writes is undone before the next."""

    def __init__(self, app, client, db_session, two_departments):
        self.app, self.client, self.two_departments = app, client, two_departments
        self.connection = db_session.connection()

    def run(self, key: str, role: str, case: str):
        spec = MATRIX[key]
        rule = rule_of(self.app, key)
        side = "B" if case == "other" else "A"
        method = key.split(" ", 1)[0]
        kwargs = spec.body(self.two_departments, side) if spec.body else {}
        savepoint = self.connection.begin_nested()
        try:
            sign_in(self.client, self.two_departments, role)
            response = self.client.open(build_path(rule, spec, self.two_departments, side), method=method, **kwargs)
            response.get_data()
            response.close()
            return response
        finally:
            savepoint.rollback()


def expected_for(spec: Spec, role: str, case: str):
    value = spec.head if role == "head" else spec.expect[ROLES.index(role)]
    if isinstance(value, tuple):
        assert case != "-", "a pair of expectations needs an endpoint with an owned object"
        return value[0] if case == "own" else value[1]
    return value


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, client, db_session, two_departments, role):
    """Every endpoint, own and other object, for one role; the failure lists each endpoint and case."""
    runner = Case(app, client, db_session, two_departments)
    failures = []
    for key in sorted(MATRIX):
        spec = MATRIX[key]
        for case in spec.cases(rule_of(app, key)):
            expected = expected_for(spec, role, case)
            response = runner.run(key, role, case)
            body = response.get_data().decode("utf-8", "replace")
            if not judge(expected, response):
                failures.append(f"{key} | role={role} | case={case}: expected {expected}, got "
                                f"{response.status_code} {body[:160]!r}")
            elif case == "other" and response.status_code in (401, 403, 404) and two_departments["B"]["name"] in body:
                failures.append(f"{key} | role={role} | case=other: the refusal names the other firm")
            if role not in ("enterprise", "oversight", "admin") and any(
                    two_departments[s]["evaluation_comment"] in body for s in ("A", "B")):
                failures.append(f"{key} | role={role} | case={case}: shows an evaluation whole (匿名评价)")
    assert not failures, f"{len(failures)} unexpected answers:\n" + "\n".join(failures)


def test_matrix_of_the_department_head(app, client, db_session, two_departments):
    """The department head (market's): his approvals and documents as the table says; on every other
    endpoint he is refused like a signed-in account of no other role (never 2xx, never a server error)."""
    runner = Case(app, client, db_session, two_departments)
    failures = []
    for key in sorted(MATRIX):
        spec = MATRIX[key]
        for case in spec.cases(rule_of(app, key)):
            response = runner.run(key, "head", case)
            if spec.head is not None:
                if not judge(expected_for(spec, "head", case), response):
                    failures.append(f"{key} | head | case={case}: expected {expected_for(spec, 'head', case)}, got "
                                    f"{response.status_code}")
            elif response.status_code >= 500:
                failures.append(f"{key} | head | case={case}: server error")
    assert not failures, f"{len(failures)} unexpected answers:\n" + "\n".join(failures)


# -- leaks a status code does not show -------------------------------------------------------------

def as_role(client, two_departments, role):
    sign_in(client, two_departments, role)
    return client


def test_enterprise_sees_only_its_own_firm_in_lists_and_pages(client, two_departments):
    a, b = two_departments["A"], two_departments["B"]
    as_role(client, two_departments, "enterprise")
    assert [r["id"] for r in client.get("/api/v1/offsite").get_json()] == [a["request"]]
    record = client.get(f"/api/v1/firms/{a['uscc']}/visits").get_json()
    assert {v["visit"] for v in record} >= {a["visit"], a["done"], a["evaluated"]}
    assert not {v["visit"] for v in record} & {b["visit"], b["done"], b["evaluated"]}
    evaluated = next(v for v in record if v["visit"] == a["evaluated"])
    assert evaluated["evaluation"]["comment"] == a["evaluation_comment"]  # the firm sees its own evaluation
    for path in ("/home", "/offsite", f"/firms/{a['uscc']}", "/api/v1/me"):
        body = client.get(path).get_data(as_text=True)
        assert b["name"] not in body and b["uscc"] not in body and b["evaluation_comment"] not in body, path
    # Another firm's objects by id: a visit, its record, its evaluation, its off-site request and file.
    for method, path in [("GET", f"/api/v1/firms/{b['uscc']}/visits"), ("GET", f"/api/v1/offsite/{b['request']}"),
                         ("GET", f"/offsite/{b['request']}"), ("GET", f"/offsite/evidence/{b['evidence']}"),
                         ("POST", f"/api/v1/visits/{b['done']}/evaluation"),
                         ("GET", f"/api/v1/visits/{b['evaluated']}/sheet"), ("GET", f"/visits/{b['visit']}")]:
        response = client.open(path, method=method, json={"score": 5} if method == "POST" else None)
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert b["name"] not in response.get_data(as_text=True)


def test_department_and_inspector_lists_hold_only_their_department(client, two_departments):
    a, b = two_departments["A"], two_departments["B"]
    as_role(client, two_departments, "department")
    plans = client.get("/api/v1/plans").get_json()
    assert plans and {p["department"] for p in plans} == {"market"}
    assert a["plan"] in {p["id"] for p in plans} and b["plan"] not in {p["id"] for p in plans}
    requests = client.get("/api/v1/offsite").get_json()
    assert a["request"] in {r["id"] for r in requests} and {r["department"] for r in requests} == {"market"}
    page = client.get("/plans").get_data(as_text=True)
    assert "market 草稿计划" in page and "fire 草稿计划" not in page
    offsite_page = client.get("/offsite").get_data(as_text=True)
    assert a["name"] in offsite_page and b["name"] not in offsite_page
    # Risk scores of any firm the department supervises, but only its own department's score.
    for side in (a, b):
        scores = client.get(f"/api/v1/firms/{side['uscc']}/risk")
        if scores.status_code == 200:
            assert {s["department"] for s in scores.get_json()["scores"]} <= {"market"}
    assert {s["department"] for s in client.get(f"/api/v1/firms/{a['uscc']}/risk").get_json()["scores"]} == {"market"}
    as_role(client, two_departments, "oversight")
    assert {s["department"] for s in client.get(f"/api/v1/firms/{a['uscc']}/risk").get_json()["scores"]} == {
        "market", "fire"}
    as_role(client, two_departments, "inspector")
    requests = client.get("/api/v1/offsite").get_json()
    assert a["request"] in {r["id"] for r in requests} and {r["department"] for r in requests} == {"market"}
    bundle = client.get("/api/v1/offline/bundle").get_json()
    assert b["name"] not in str(bundle)


def test_evaluations_are_never_shown_whole_to_the_inspected_department(client, two_departments):
    a = two_departments["A"]
    for role in ("department", "inspector"):
        as_role(client, two_departments, role)
        record = client.get(f"/api/v1/firms/{a['uscc']}/visits").get_json()
        assert all(v["evaluation"] is None for v in record), role
        page = client.get(f"/firms/{a['uscc']}").get_data(as_text=True)
        assert a["evaluation_comment"] not in page and a["name"] in page, role
    as_role(client, two_departments, "department")
    summary = client.get("/api/v1/evaluations/summary").get_json()
    assert summary["by_month"] == [] and "by_plan" not in summary  # one evaluation, this month: not shown
    assert a["evaluation_comment"] not in client.get("/evaluations").get_data(as_text=True)
    as_role(client, two_departments, "oversight")
    record = client.get(f"/api/v1/firms/{a['uscc']}/visits").get_json()
    assert next(v for v in record if v["visit"] == a["evaluated"])["evaluation"]["comment"] == a["evaluation_comment"]


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_exports_hold_only_the_scope_asked_and_only_for_oversight(client, two_departments):
    a, b = two_departments["A"], two_departments["B"]
    as_role(client, two_departments, "oversight")
    year = TODAY.year
    market = rows_of(client.get(f"/oversight/visits.csv?year={year}&department=market"))
    assert market[0][0] == "日期" and len(market) > 1
    assert all("市场" in row[4] for row in market[1:])
    assert any(row[2] == a["uscc"] for row in market[1:]) and not any(row[2] == b["uscc"] for row in market[1:])
    fire = rows_of(client.get(f"/oversight/visits.csv?year={year}&department=fire"))
    assert any(row[2] == b["uscc"] for row in fire[1:]) and not any(row[2] == a["uscc"] for row in fire[1:])
    for role in ("anonymous", "enterprise", "inspector", "department"):
        as_role(client, two_departments, role)
        for path in ("/oversight/visits.csv?department=market", "/oversight/alerts.csv",
                     "/oversight/departments.xlsx", "/oversight/offsite.csv", "/admin/exports/firms.csv",
                     "/admin/exports/officers.xlsx"):
            response = client.get(path)
            assert response.status_code in (302, 403), (role, path)
            assert response.mimetype == "text/html", (role, path)  # a page saying no, never the file
            body = response.get_data().decode("utf-8", "replace")
            assert b["uscc"] not in body and (role == "enterprise" or a["uscc"] not in body), (role, path)


VERIFY_KEYS = {"state", "valid", "message", "firm", "day", "status", "departments", "officers", "presence", "items",
               "plans"}


def test_the_code_verifier_shows_who_which_department_items_and_plan_and_nothing_more(client, two_departments):
    a, b = two_departments["A"], two_departments["B"]
    as_role(client, two_departments, "anonymous")
    info = client.get(f"/api/v1/verify/{a['code']}").get_json()
    assert info["state"] == "valid" and set(info) == VERIFY_KEYS
    assert info["firm"] == a["name"] and info["departments"] == [a["department_name"]]
    # Who: the officers' names, certificates and department as on their 执法证; nothing personal beyond it.
    assert all(set(o) == {"name", "certificate_no", "department"} for o in info["officers"])
    assert all(set(o) == {"name", "certificate_no", "accompanying", "scanned_in_at", "left_at"}
               for p in info["presence"] for o in p["officers"])
    assert a["certificate_no"] in {o["certificate_no"] for o in info["officers"]}
    assert {i["code"] for i in info["items"]} == {a["item"]}
    assert all(set(p) == {"id", "title"} for p in info["plans"])
    text = str(info)
    for secret in (a["uscc"], b["name"], b["uscc"], a["evaluation_comment"], "消毒记录缺失", "credit",
                   "address", "测试地址", "password", "token"):
        assert secret not in text, secret
    page = client.get(f"/verify/{a['code']}").get_data(as_text=True)
    assert a["name"] in page and a["uscc"] not in page and "测试地址" not in page and b["name"] not in page
    forged = client.get(f"/api/v1/verify/{a['code'][:-3]}abc").get_json()
    assert set(forged) == {"state", "valid", "message"} and forged["state"] == "forged"
    assert client.get(f"/api/v1/verify/{b['code']}").get_json()["firm"] == b["name"]


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\t/evil.example", "/\n/evil.example",
                                    "/\\evil.example", "/\\/evil.example"])
def test_signing_in_never_sends_the_browser_to_another_site(client, target):
    response = client.post("/login", data={"username": "market", "password": "demo1234", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/home"
