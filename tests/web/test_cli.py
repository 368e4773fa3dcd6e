"""The command line: init-db, demo and the catalogue, as people run them."""
import datetime as dt
from collections import Counter

from click.testing import CliRunner
from sqlalchemy import func, select

from core import clock
from inspection.db import make_engine, make_session_factory, upgrade
from inspection.demo.city import build_demo_city, demo_accounts
from inspection.models import (
    Department,
    DepartmentEntry,
    District,
    Document,
    Evaluation,
    Finding,
    Firm,
    InspectionPlan,
    Officer,
    OffsiteEvidence,
    OffsiteRequest,
    PlanApproval,
    RecordSignature,
    RiskModel,
    ScheduleRun,
    User,
    Visit,
)
from inspection.operations.events import utcnow, verify_chain
from inspection.pure.draws import verify_record
from inspection.queries import kpis
from inspection.queries.kpis import Scope
from web import create_app
from web.console import main


def test_init_db_is_idempotent(runner):
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert "新增区县 0 个、部门 0 个" in first.output


def test_demo_rerun_changes_nothing(runner, db_session, counts):
    assert runner.invoke(args=["demo", "--no-serve", "--firms", "50"]).exit_code == 0
    before = counts()
    result = runner.invoke(args=["demo", "--no-serve", "--firms", "50"])
    assert result.exit_code == 0, result.output
    assert "演示城市已就绪：企业 已存在" in result.output and "demo1234" in result.output
    assert counts() == before


def test_demo_city_has_what_the_issue_asks_for(db_session):
    assert db_session.scalar(select(func.count(District.id))) >= 6
    assert db_session.scalar(select(func.count(Department.id))) >= 8
    assert db_session.scalar(select(func.count(Firm.id))) >= 300
    per_department = dict(db_session.execute(select(Officer.department_id, func.count(Officer.id))
                                              .group_by(Officer.department_id)).all())
    assert len(per_department) == 8 and min(per_department.values()) >= 20
    roles = set(db_session.scalars(select(User.role)))
    assert roles == {"admin", "oversight", "department", "department_head", "inspector", "enterprise"}
    usernames = set(db_session.scalars(select(User.username)))
    assert {a.username for a in demo_accounts()} <= usernames
    classes = set(db_session.scalars(select(Firm.credit_class)))
    assert classes == {"A", "B", "C", "D"}


def test_demo_is_reproducible_from_its_seed(app):
    """Two fresh builds from one seed give the same firms."""

    def build():
        engine = make_engine("sqlite://")
        upgrade(engine)
        with make_session_factory(engine)() as session:
            build_demo_city(session, seed=11, firms=120, plans=False)
            rows = session.execute(select(Firm.uscc, Firm.name, Firm.credit_class).order_by(Firm.uscc)).all()
        engine.dispose()
        return rows

    assert build() == build()


def test_demo_has_plans_at_every_stage_with_a_combined_schedule():
    engine = make_engine("sqlite://")
    upgrade(engine)
    with make_session_factory(engine)() as session:
        summary = build_demo_city(session, seed=3, firms=400, schedule_seconds=3)
        statuses = Counter(session.scalars(select(InspectionPlan.status)))
        assert statuses["filed"] == 1 and statuses["draft"] == 2 and statuses["scheduled"] >= 4
        for run in session.scalars(select(ScheduleRun)):
            assert run.status == "done" and run.stats["check"] == []
        assert session.scalars(select(ScheduleRun)).first().stats["joint_visits"] > 0
        # Past years (generated from the hidden truth) under a risk model trained on them; the market's
        # own December plan draws with its weights; the departments' leniency lists are public.
        assert summary["past_years"]["plans"] > 0 and summary["past_years"]["findings"] > 0
        model = session.scalar(select(RiskModel).where(RiskModel.status == "published"))
        assert model.version == summary["risk_model"] and model.test_year == 2025 and model.scores > 0
        weighted = session.scalar(select(InspectionPlan).where(InspectionPlan.weighting == "risk"))
        assert weighted.risk_model_id == model.id and weighted.draw.algorithm == "prn-sps-hmac-sha256-v1"
        assert not verify_record(weighted.draw.record, weighted.public_commitment)
        assert summary["leniency"] == 3
        if summary["history"]:  # built after November 2026: a month of finished visits and off-site checks
            drawn = Counter(session.scalars(select(InspectionPlan.status).where(InspectionPlan.selection == "random")))
            assert drawn["completed"] == 2 + 3 + summary["past_years"]["plans"]
            assert summary["door"] == {"unplanned": 1, "emergency": 1, "reports": 1, "leads": 1}
            origins = Counter(session.scalars(select(Visit.origin).where(Visit.status == "completed")))
            assert origins["unplanned"] == 1 and origins["emergency"] == 1
            assert summary["offsite"]["november"] > 0
            concluded = Counter(session.scalars(select(OffsiteRequest.status)))
            assert concluded["closed"] > 0 and concluded["closed"] + concluded["escalated"] >= summary["offsite"]["november"]
            assert session.scalar(select(func.count()).select_from(OffsiteEvidence)) > 0
            assert session.scalar(select(func.count()).select_from(Evaluation)) > 0
            assert session.scalar(select(func.count()).select_from(Finding)) > 0
            firm_user = session.scalar(select(User).where(User.username == "firm"))
            assert session.scalar(select(Visit).where(Visit.firm_id == firm_user.firm_id, Visit.status == "completed"))
            # Each November entry has its papers: the notice of each department's entry, the on-site record
            # signed (one refused before a witness) and, for most, the result notice; the emergency and lead
            # entries were approved afterwards.
            kinds = Counter(session.scalars(select(Document.kind)))
            entered = session.scalar(select(func.count()).select_from(DepartmentEntry).join(
                Visit, Visit.id == DepartmentEntry.visit_id).where(Visit.day.between(dt.date(2026, 11, 1),
                                                                                     dt.date(2026, 11, 30))))
            assert kinds["notice"] == kinds["record"] == entered and 0 < kinds["result"] <= entered
            assert session.scalar(select(func.count()).select_from(RecordSignature).where(RecordSignature.refused)) >= 1
            late = session.scalars(select(PlanApproval).where(PlanApproval.afterwards)).all()
            assert {a.task_source for a in late} == {"accident", "complaint"}
            assert summary["acknowledged"] > 0
            # A year that adds up: before the platform each department entered alone; from January 2026 the
            # joint campaigns combine them, so the same span of the year has fewer entries, most of them joint.
            today = clock.local_day(utcnow())
            now, before = Scope(2026), kpis.year_before(Scope(2026), today)
            assert kpis.joint_share(session, Scope(2025))[0] == 0
            joint, entries = kpis.joint_share(session, now)
            assert entries < sum(kpis.monthly_entries(session, before)) and joint / entries > 0.3
            assert all(kpis.monthly_entries(session, now)[m] > 0 for m in range(10))   # January to October
        assert verify_chain(session)[0]
    engine.dispose()


def test_commands_need_an_initialised_database(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    result = app.test_cli_runner().invoke(args=["verify-log"])
    assert result.exit_code == 1 and "inspection init-db" in result.output
    app.extensions["db_engine"].dispose()


def test_help_lists_the_commands(runner):
    output = CliRunner().invoke(main, ["--help"]).output
    for command in ("init-db", "load-catalogue", "demo", "serve", "export-log", "verify-log"):
        assert command in output


def test_checking_the_schema_leaves_no_lock_behind(tmp_path):
    """'serve' checks the schema and then serves for hours: that check must not keep a transaction open."""
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    app = create_app({"DATABASE_URL": url, "AUDIT_AFTER_WRITES": False})
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with app.app_context():
        from web.cli import require_schema  # noqa: PLC0415 - the helper under test
        require_schema()
        other = make_engine(url, connect_args={"timeout": 0.5, "check_same_thread": False})
        with other.begin() as connection:
            connection.exec_driver_sql("update event_head set seq = seq")
        other.dispose()
    app.extensions["db_engine"].dispose()


def test_serve_refuses_a_database_behind_the_code(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"DATABASE_URL": url, "AUDIT_AFTER_WRITES": False})
    upgrade(app.extensions["db_engine"], "0001")
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 1 and "inspection init-db" in result.output
    app.extensions["db_engine"].dispose()


def test_audit_and_rebuild_facts_commands(runner, make_firm, entered, db_session):
    entered(make_firm(), officers=1)
    db_session.commit()
    result = runner.invoke(args=["audit"])
    assert result.exit_code == 0, result.output
    assert "新增预警" in result.output and "持证执法人员不足两人：1" in result.output
    again = runner.invoke(args=["audit", "--since", "2020-01-01"])
    assert "持证执法人员不足两人：0" in again.output  # raised once
    assert runner.invoke(args=["audit", "--since", "2020-13-01"]).exit_code != 0
    result = runner.invoke(args=["rebuild-facts"])
    assert result.exit_code == 0 and "入企 1 行" in result.output
