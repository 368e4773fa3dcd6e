"""Commands of the ``inspection`` console script: thin click wrappers over domain functions.

Each command commits once at the end; any error rolls everything back, prints a
clear message and exits non-zero.
"""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select
from tqdm import tqdm
from waitress import serve

import scheduler
from checklists.export import write_catalogue
from core import clock
from inspection import queries, risk
from inspection.calendar import is_working_time, next_working_morning, working_hours
from inspection.db import has_schema, schema_is_current, upgrade
from inspection.demo.city import DEMO_PASSWORD, HISTORY_YEARS, build_demo_city, demo_accounts
from inspection.draws import verify_record
from inspection.errors import CatalogueFileInvalid, DomainError, ImportFileInvalid, LeniencyFileInvalid, NotFound
from inspection.models import ALERT_RULES, Department, Draw, InspectionPlan
from inspection.operations.alerts import audit_start, refresh_alerts
from inspection.operations.catalogue import load_catalogue_file
from inspection.operations.entries import local_today
from inspection.operations.events import canonical_json, chain_head, iter_records, utcnow, verify_chain
from inspection.operations.facts import rebuild_facts
from inspection.operations.imports import export_firms, export_officers, import_firms, import_officers
from inspection.operations.leniency import publish_list, read_list_file
from inspection.operations.offsite import sweep_requests
from inspection.operations.reference import DEFAULT_CITY, load_city
from inspection.operations.risk import fresh_model, train
from inspection.operations.schedules import BuildOptions, execute_run, start_build

from . import jobs
from .database import db
from .risk_views import model_summary


def transactional(func):
    """Commit when the command succeeds; on a domain error roll back, explain and exit 1."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        session = db()
        try:
            result = func(*args, **kwargs)
            session.commit()
            return result
        except (CatalogueFileInvalid, ImportFileInvalid, LeniencyFileInvalid) as err:
            session.rollback()
            click.echo(err.message, err=True)
            sys.exit(1)
        except DomainError as err:
            session.rollback()
            click.echo(f"错误：{err.message}", err=True)
            sys.exit(1)
        except BaseException:
            session.rollback()
            raise
    return wrapper


def require_schema() -> None:
    ready = has_schema(db().connection())
    db().rollback()  # hold no transaction: 'serve' runs for hours after this check
    if not ready:
        click.echo("数据库尚未初始化：请先运行 inspection init-db（或 inspection demo）", err=True)
        sys.exit(1)


def _init_db(city: Path) -> dict:
    upgrade(db().connection())
    return load_city(db(), None, city)


def _progress_bar():
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="%" if stage == "排程" else "条", file=sys.stderr,
                                     leave=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
    return progress


def _import_summary(what: str, counts: dict) -> str:
    return (f"{what}导入完成：共 {counts['rows']} 行，新增 {counts['created']}，更新 {counts['updated']}，"
            f"未变 {counts['unchanged']}")


def _serve(app: Flask, host: str, port: int) -> None:
    db().close()  # the command's own session must hold no transaction while the server runs
    click.echo(f"平台已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    serve(app, host=host, port=port, threads=8, ident="inspection")


def _print_accounts() -> None:
    click.echo("演示账号（密码均为 %s）：" % DEMO_PASSWORD)
    for account in demo_accounts():
        click.echo(f"  {account.username:<12} {account.role:<11} {account.who}")


def _say_when_outside_working_hours() -> None:
    """The door is closed at night and at weekends: say how to try it now with the demo clock."""
    local = clock.local_now()
    if is_working_time(local):
        return
    start, end = working_hours()
    morning = next_working_morning(local)
    click.echo(f"现在是 {local:%Y-%m-%d %H:%M}（本地时间），不在工作日 {start:%H:%M}–{end:%H:%M} 之内，"
               "扫码入企会被拒绝。")
    click.echo(f"要现在试用现场检查，可让演示平台的时钟从下一个工作日上午开始走：\n"
               f"  INSPECTION_NOW={morning.isoformat(timespec='minutes')} inspection demo")


def init_app(app: Flask) -> None:
    @app.cli.command("init-db")
    @click.option("--city", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_CITY,
                  show_default=True, help="城市基础数据文件（区县、执法部门）")
    @transactional
    def init_db_command(city: Path):
        """创建或升级数据库结构，并载入城市基础数据。"""
        created = _init_db(city)
        click.echo(f"数据库已就绪：新增区县 {created['districts']} 个、部门 {created['departments']} 个")

    @app.cli.command("load-catalogue")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--draft", is_flag=True, help="只载入为草稿，不发布")
    @transactional
    def load_catalogue_command(file: Path, draft: bool):
        """校验并发布检查事项清单文件（YAML）。文件有任何错误则不作任何更改。"""
        require_schema()
        result = load_catalogue_file(db(), None, file, publish=not draft)
        labels = {"published": "已发布", "draft": "已载入为草稿", "unchanged": "内容未变，无需更改"}
        click.echo(f"清单 {result.version}：{labels[result.status]}，事项 {result.items} 项"
                   + (f"，撤销旧版事项 {result.revoked} 项" if result.revoked else ""))

    @app.cli.command("import-firms")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @transactional
    def import_firms_command(file: Path):
        """导入企业名录（CSV 或 XLSX：uscc,name,district,industry,credit_class,tags,address）。
        全部行校验通过才写入；按统一社会信用代码更新，不会重复。"""
        require_schema()
        counts = import_firms(db(), None, file, progress=_progress_bar())
        click.echo(_import_summary("企业", counts))

    @app.cli.command("import-officers")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @transactional
    def import_officers_command(file: Path):
        """导入执法人员（CSV 或 XLSX：certificate_no,name,department,valid_from,valid_to,districts）。"""
        require_schema()
        counts = import_officers(db(), None, file, progress=_progress_bar())
        click.echo(_import_summary("执法人员", counts))

    @app.cli.command("export-firms")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    def export_firms_command(out: Path):
        """按导入格式导出全部企业（.csv 或 .xlsx）。"""
        require_schema()
        click.echo(f"已导出 {export_firms(db(), out)} 家企业到 {out}")

    @app.cli.command("export-officers")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    def export_officers_command(out: Path):
        """按导入格式导出全部执法人员（.csv 或 .xlsx）。"""
        require_schema()
        click.echo(f"已导出 {export_officers(db(), out)} 名执法人员到 {out}")

    @app.cli.command("export-catalogue")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--version", "version", default=None, help="清单版本（默认：现行发布版本）")
    def export_catalogue_command(out: Path, version: str | None):
        """把清单导出为与载入相同格式的 YAML 文件。"""
        require_schema()
        try:
            count = write_catalogue(db(), out, version)
        except DomainError as err:
            click.echo(f"错误：{err.message}", err=True)
            sys.exit(1)
        click.echo(f"已导出 {count} 项事项到 {out}")

    @app.cli.command("demo")
    @click.option("--no-serve", is_flag=True, help="只生成演示数据，不启动服务")
    @click.option("--seed", default=20260301, show_default=True, help="随机种子")
    @click.option("--firms", default=6000, show_default=True, help="企业数量")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True)
    def demo_command(no_serve: bool, seed: int, firms: int, host: str, port: int):
        """生成演示城市（已存在则只补齐缺少的部分），然后启动服务。"""
        _build_demo(seed, firms)
        _print_accounts()
        _say_when_outside_working_hours()
        if not no_serve:
            _serve(current_app._get_current_object(), host, port)

    @transactional
    def _build_demo(seed: int, firms: int):
        _init_db(DEFAULT_CITY)
        summary = build_demo_city(db(), seed=seed, firms=firms, progress=_progress_bar(),
                                  evidence_folder=Path(current_app.config["FILES_FOLDER"]) / "evidence")
        click.echo(f"演示城市已就绪：企业 {summary.get('firms', '已存在')}，执法人员 {summary.get('officers', '已存在')}，"
                   f"清单 {summary['catalogue']['version']}（{summary['catalogue']['items']} 项）")
        if summary.get("risk_model"):
            click.echo(f"预警模型版本 {summary['risk_model']} 已用 {len(HISTORY_YEARS)} 个历史年度训练并发布；"
                       f"包容审慎清单 {summary['leniency']} 份")

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True)
    def serve_command(host: str, port: int):
        """启动服务（使用已配置的数据库）。"""
        require_schema()
        current = schema_is_current(db().connection())
        db().rollback()
        if not current:
            click.echo("数据库结构需要升级到当前版本：请先运行 inspection init-db", err=True)
            sys.exit(1)
        _serve(current_app._get_current_object(), host, port)

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="处理完队列中的任务后退出")
    def worker_command(burst: bool):
        """运行后台任务进程（排程），需设置 REDIS_URL；可在多台主机上各运行若干个。"""
        try:
            jobs.work(current_app._get_current_object(), burst=burst)
        except RuntimeError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)

    @app.cli.command("export-log")
    @click.option("--since", default=0, show_default=True, help="只导出序号大于此值的记录")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    def export_log_command(since: int, out: Path):
        """导出完整的事件日志（每行一条 JSON 记录，含操作人、对象、内容与 salt；格式见 docs/protocols/event-log.md）。"""
        require_schema()
        count = 0
        with out.open("wb") as fh:
            for record in iter_records(db(), since):
                fh.write(canonical_json(record) + b"\n")
                count += 1
        click.echo(f"已导出 {count} 条记录到 {out}")

    @app.cli.command("verify-log")
    def verify_log_command():
        """校验事件日志（第 1、2 版记录）的 digest 与哈希链；完整时退出码为 0，否则指出第一条问题记录。"""
        require_schema()
        ok, count, problem, bad_seq = verify_chain(db())
        if ok:
            click.echo(f"事件日志完整：共 {count} 条记录，哈希链无断点")
            return
        click.echo(f"事件日志校验失败：{problem}（第一条问题记录：序号 {bad_seq}）", err=True)
        sys.exit(1)

    @app.cli.command("export-draw")
    @click.argument("plan_id", required=False, type=int)
    @click.option("--all", "all_plans", is_flag=True, help="导出全部已抽取计划，每个计划一个 <计划编号>.json")
    @click.option("--out", "out", type=click.Path(path_type=Path), help="--all 时为目录；否则为文件（默认打印）")
    def export_draw_command(plan_id: int | None, all_plans: bool, out: Path | None):
        """打印或导出计划的抽取记录（格式见 docs/protocols/draws.md）。"""
        require_schema()
        if all_plans == (plan_id is not None):
            click.echo("请给出一个计划编号，或使用 --all --out 目录", err=True)
            sys.exit(2)
        if all_plans:
            if out is None:
                click.echo("--all 需要 --out 目录", err=True)
                sys.exit(2)
            out.mkdir(parents=True, exist_ok=True)
            count = 0
            for draw in db().scalars(select(Draw).order_by(Draw.plan_id)):
                (out / f"{draw.plan_id}.json").write_bytes(canonical_json(draw.record) + b"\n")
                count += 1
            click.echo(f"已导出 {count} 个抽取记录到 {out}")
            return
        record = _draw_record_or_exit(plan_id)
        text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True)
        if out is None:
            click.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
            click.echo(f"已导出计划 {plan_id} 的抽取记录到 {out}")

    @app.cli.command("verify-draw")
    @click.argument("plan_id", type=int)
    def verify_draw_command(plan_id: int):
        """按公开算法重新计算计划的抽取结果；与记录一致时退出码为 0。"""
        require_schema()
        record = _draw_record_or_exit(plan_id)
        plan = db().get(InspectionPlan, plan_id)
        problems = verify_record(record, plan.public_commitment)
        if problems:
            click.echo(f"计划 {plan_id} 的抽取记录校验失败：" + "；".join(problems), err=True)
            sys.exit(1)
        click.echo(f"计划 {plan_id} 的抽取记录校验通过：种子与备案承诺一致，抽取池 {len(record['pool'])} 家，"
                   f"重新计算抽中 {len(record['selected'])} 家，与记录一致")

    def _draw_record_or_exit(plan_id: int) -> dict:
        plan = db().get(InspectionPlan, plan_id)
        if plan is None:
            click.echo(f"没有编号为 {plan_id} 的计划", err=True)
            sys.exit(1)
        if plan.draw is None:
            click.echo(f"计划 {plan_id}（{plan.status_label}）尚未抽取", err=True)
            sys.exit(1)
        return plan.draw.record

    @app.cli.group("schedule")
    def schedule_group():
        """综合查一次：排程（交换格式见 docs/protocols/schedule-exchange.md）。"""

    @schedule_group.command("solve")
    @click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--time-limit", type=float, default=None, help="求解时间上限（秒）")
    @click.option("--workers", type=int, default=None, help="求解线程数")
    def schedule_solve_command(instance: Path, out: Path, time_limit: float | None, workers: int | None):
        """求解一个排程实例文件（不使用数据库），把解写入 --out。"""
        try:
            data = json.loads(instance.read_text(encoding="utf-8"))
            problem = scheduler.Instance.from_dict(data)
        except OSError as exc:
            click.echo(f"无法读取实例文件 {instance}：{exc.strerror}", err=True)
            sys.exit(1)
        except (ValueError, KeyError, TypeError) as exc:
            click.echo(f"实例文件 {instance} 不符合交换格式（见 docs/protocols/schedule-exchange.md）：{exc}", err=True)
            sys.exit(1)
        config = scheduler.SolverConfig()
        if time_limit is not None:
            config.time_limit = time_limit
        if workers is not None:
            config.workers = workers
        with tqdm(total=100, desc="排程", unit="%", file=sys.stderr) as bar:
            def report(fraction: float, message: str) -> None:
                bar.set_postfix_str(message[:40])
                bar.update(max(0, round(fraction * 100) - bar.n))
            solution = scheduler.solve(problem, config, report)
        out.write_text(json.dumps(solution.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        stats = solution.stats
        click.echo(f"{solution.status}：入企 {stats.get('visits')} 次（下界 {stats.get('lower_bound')}），"
                   f"未排定任务 {len(solution.unscheduled)} 项，用时 {stats.get('seconds', 0):.1f} 秒；已写入 {out}")

    @schedule_group.command("build")
    @click.argument("plan_id", type=int)
    @click.option("--time-limit", type=float, default=20.0, show_default=True, help="求解时间上限（秒）")
    @transactional
    def schedule_build_command(plan_id: int, time_limit: float):
        """为计划所在期间生成联合排程（与同期其他部门已抽取的计划合并）。"""
        require_schema()
        plan = db().get(InspectionPlan, plan_id)
        if plan is None:
            raise NotFound(f"没有编号为 {plan_id} 的计划")
        run = start_build(db(), None, plan)
        with tqdm(total=100, desc="排程", unit="%", file=sys.stderr) as bar:
            def report(fraction: float, message: str) -> None:
                bar.update(max(0, round(fraction * 100) - bar.n))
            execute_run(db(), run, BuildOptions(time_limit=time_limit), report)
        click.echo(run.message)
        for item in run.unscheduled[:20]:
            click.echo(f"  未排定：任务 {item['task']}（企业 {item['firm']}）：{item['reason']}")

    @app.cli.group("risk")
    def risk_group():
        """预警模型：训练、查看企业评分。"""

    @risk_group.command("train")
    @click.option("--test-year", type=int, default=None, help="检验年度（默认：最近一个完整年度）；之前的年度用于训练")
    @click.option("--if-older", "if_older", type=int, default=None,
                  help="现行版本训练不足 DAYS 天时不重新训练（供定时任务使用）")
    @transactional
    def risk_train_command(test_year: int | None, if_older: int | None):
        """以较早年度训练、最近年度检验，为每家企业评分并发布新版本。"""
        require_schema()
        if if_older is not None:
            current = fresh_model(db(), if_older)
            if current is not None:
                click.echo(f"现行预警模型版本 {current.version} 训练于 {current.trained_at:%Y-%m-%d}，"
                           f"未超过 {if_older} 天，不重新训练")
                return
        with tqdm(total=100, desc="预警模型", unit="%", file=sys.stderr) as bar:
            def report(fraction: float, message: str) -> None:
                bar.set_postfix_str(message[:30])
                bar.update(max(0, round(fraction * 100) - bar.n))
            model = train(db(), None, test_year=test_year, progress=report)
        summary = model_summary(model)
        click.echo(f"预警模型版本 {model.version} 已发布：以 {'、'.join(map(str, model.train_years))} 年训练，"
                   f"{model.test_year} 年检验（{model.metrics['examples']} 次检查，AUC {summary['auc']}）")
        click.echo(f"  同等检查次数下每百次检查发现问题：风险加权 {summary['weighted_per_100']} 次，"
                   f"按比例随机 {summary['random_per_100']} 次")
        click.echo(f"  同样的检查按评分排序：发现问题平均提前 {summary['days_earlier']} 天")
        click.echo(f"  已为 {model.scores} 个企业-部门组合评分（评分日 {model.scored_as_of}）")

    @risk_group.command("show")
    @click.argument("uscc")
    def risk_show_command(uscc: str):
        """打印企业在现行预警模型下各部门的评分与主要因素。"""
        require_schema()
        firm = db().scalar(queries.firm_by_uscc(uscc.strip().upper()))
        if firm is None:
            click.echo(f"没有统一社会信用代码为 {uscc} 的企业", err=True)
            sys.exit(1)
        model = db().scalar(queries.published_risk_model())
        if model is None:
            click.echo("尚无已发布的预警模型：请先运行 inspection risk train", err=True)
            sys.exit(1)
        click.echo(f"{firm.name}（{firm.uscc}）· 预警模型版本 {model.version}，评分日 {model.scored_as_of}")
        rows = sorted(db().scalars(queries.firm_risk_scores(model.id, firm.id)), key=lambda r: -r.score)
        names = {d.id: d.name for d in db().scalars(select(Department))}
        for row in rows:
            factors = "；".join(f"{risk.describe(name, value)}（{contribution:+.2f}）"
                                for name, value, contribution in row.factors)
            click.echo(f"  {names[row.department_id]}：{row.score * 100:.1f}%  主要因素：{factors}")
        if not rows:
            click.echo("  （没有相关部门的评分）")

    @app.cli.group("leniency")
    def leniency_group():
        """包容审慎清单：发布、查看。"""

    @leniency_group.command("load")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @transactional
    def leniency_load_command(file: Path):
        """校验并发布一个部门的包容审慎清单（YAML）；有任何错误则不作更改并逐条列出。"""
        require_schema()
        data, node, label, sha256 = read_list_file(file)
        published, status = publish_list(db(), None, data, label=label, sha256=sha256, node=node)
        click.echo(f"{published.department.name}「{published.title}」版本 {published.version}："
                   + ("已发布" if status == "published" else "内容未变，无需更改")
                   + f"，条目 {len(published.entries)} 条")

    @leniency_group.command("list")
    def leniency_list_command():
        """列出已发布的包容审慎清单。"""
        require_schema()
        for row in db().scalars(queries.leniency_lists()):
            state = "现行" if row.status == "published" else "已替代"
            click.echo(f"{row.id:>4}  {row.department.code:<10} {row.version:<10} {state}  {row.title}"
                       f"（{len(row.entries)} 条）")

    @app.cli.command("log-head")
    def log_head_command():
        """打印事件日志链头（序号与哈希），供外部留存比对。"""
        require_schema()
        seq, digest = chain_head(db())
        click.echo(json.dumps({"seq": seq, "hash": digest}))

    @app.cli.command("audit")
    @click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="审查窗口起始日期（默认：上一年 1 月 1 日）")
    @transactional
    def audit_command(since):
        """运行全部监督审查规则，为新发现的情形生成预警（可由 cron 定时运行）。"""
        require_schema()
        today = local_today(utcnow())
        raised = refresh_alerts(db(), today=today, since=since.date() if since else None)
        click.echo(f"审查窗口自 {since.date() if since else audit_start(today)} 起；新增预警 {sum(raised.values())} 条")
        for rule, n in raised.items():
            click.echo(f"  {ALERT_RULES[rule]}：{n}")

    @app.cli.command("rebuild-facts")
    @transactional
    def rebuild_facts_command():
        """按原始记录重新生成监督统计表（批量导入历史数据后运行）。"""
        require_schema()
        visits, items = rebuild_facts(db())
        click.echo(f"已重新生成监督统计：入企 {visits} 行，检查事项 {items} 行")

    @app.cli.command("sweep-offsite")
    @transactional
    def sweep_offsite_command():
        """非现场核查到期处理：逾期未提交材料的提醒企业并标记，达到事项公布规则的转为现场检查（可由 cron 每日运行）。"""
        require_schema()
        counts = sweep_requests(db(), today=local_today(utcnow()))
        click.echo(f"已提醒逾期企业 {counts['reminded']} 家，按规则转现场检查 {counts['escalated']} 项")
