"""The project's documentation is kept true: the checkers it prints are run against the platform's own
output, every relative link leads to a file of the repository, nothing refers to a file outside it,
and every command of the console script is documented."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

import scheduler
from scheduler.generate import small_instance
from tests.approvals import approve
from tests.risk_models import WEIGHTED_PLAN, publish_model, spread
from tests.servers import ROOT

DOCS = ROOT / "docs"
MARKDOWN = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]

PLAN = {"title": "2026年二季度食品生产企业双随机抽查", "period_start": "2026-04-01", "period_end": "2026-06-30",
        "items": ["SC-001"], "ratios": {"A": 0.05, "B": 0.1, "C": 0.3, "D": 0.5},
        "target_industries": ["食品制造", "食品销售", "餐饮服务", "批发零售"]}


def python_block(path: Path) -> str:
    """The one fenced ```python block of a page."""
    blocks = re.findall(r"^```python\n(.*?)^```$", path.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) == 1, f"{path.name} should hold exactly one python block, it holds {len(blocks)}"
    return blocks[0]


def assert_standard_library_only(source: str) -> None:
    for node in ast.walk(ast.parse(source)):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            assert name.split(".")[0] in sys.stdlib_module_names, f"{name} is not in the standard library"


def documented_checker(page: str, folder: Path, name: str) -> Path:
    """The page's Python block, standard library only, written out as a reader would save it."""
    source = python_block(DOCS / "protocols" / page)
    assert_standard_library_only(source)
    path = folder / name
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture
def draw_checker(tmp_path) -> Path:
    return documented_checker("draws.md", tmp_path, "check_draw.py")


@pytest.fixture
def schedule_checker(tmp_path) -> Path:
    return documented_checker("schedule-exchange.md", tmp_path, "check_schedule.py")


def run(script: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    # -I: no user site, no PYTHON* variables, no current directory on the path: the snippet alone.
    return subprocess.run([sys.executable, "-I", str(script), *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=60)


# -- The draw checker of docs/protocols/draws.md ------------------------------------------------


def drawn_record(client, runner, tmp_path, plan: dict) -> Path:
    """File and draw a plan through the API, export its record with the command line, return the file."""
    made = client.post("/api/v1/plans", json=plan)
    assert made.status_code == 201, made.get_json()
    plan_id = made.get_json()["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/file").status_code == 200
    approve(client, plan_id)
    assert client.post(f"/api/v1/plans/{plan_id}/draw").status_code == 200
    out = tmp_path / f"draw-{plan_id}.json"
    result = runner.invoke(args=["export-draw", str(plan_id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    published = client.get(f"/api/v1/public/plans/{plan_id}/draw").get_json()
    assert json.loads(out.read_text(encoding="utf-8")) == published
    return out


def test_draw_checker_accepts_a_real_draw_and_refuses_a_changed_one(client, login, runner, tmp_path, draw_checker):
    login("market")
    path = drawn_record(client, runner, tmp_path, PLAN)
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["algorithm"] == "prn-hmac-sha256-v1" and record["selected"]

    by_file = run(draw_checker, str(path))
    assert by_file.returncode == 0, by_file.stdout + by_file.stderr
    assert by_file.stdout.startswith("OK:") and f"{len(record['selected'])} selected" in by_file.stdout
    by_stdin = run(draw_checker, stdin=path.read_text(encoding="utf-8"))
    assert by_stdin.returncode == 0 and by_stdin.stdout == by_file.stdout

    classes = [e["class"] for e in record["pool"]]
    largest = max(set(classes), key=classes.count)
    last_out = next(e["uscc"] for e in record["pool"] if e["uscc"] not in record["selected"])
    changes = {
        "the selection": {**record, "selected": record["selected"][1:] + [last_out]},
        "the pool": {**record, "pool": record["pool"][1:]},
        "the seed": {**record, "seed": "00" * 32},
        "the ratios": {**record, "ratios": {**record["ratios"], largest: 1.0}},
    }
    for what, changed in changes.items():
        result = run(draw_checker, stdin=json.dumps(changed, ensure_ascii=False))
        assert result.returncode == 1 and "FAIL:" in result.stdout, (what, result.stdout, result.stderr)


def test_draw_checker_accepts_a_risk_weighted_draw(client, login, runner, db_session, tmp_path, draw_checker):
    publish_model(db_session, "docs-1", spread)
    db_session.commit()
    login("market")
    path = drawn_record(client, runner, tmp_path, WEIGHTED_PLAN)
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["algorithm"] == "prn-sps-hmac-sha256-v1" and all("weight" in e for e in record["pool"])

    result = run(draw_checker, str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    # Read without weights, the same numbers select other firms: the checker must tell.
    plain = {**record, "algorithm": "prn-hmac-sha256-v1"}
    assert run(draw_checker, stdin=json.dumps(plain, ensure_ascii=False)).returncode == 1


# -- The schedule checker of docs/protocols/schedule-exchange.md ----------------------------------

TINY = {
    "days": ["2026-03-02", "2026-03-03", "2026-03-04"],
    "firms": [
        {"id": "F1", "district": "east", "max_visits": 1, "closed_days": ["2026-03-04"]},
        {"id": "F2", "district": "west", "max_visits": 2, "closed_days": []},
        {"id": "F3", "district": "west"},
    ],
    "officers": [
        {"id": "m1", "department": "market", "days": ["2026-03-02", "2026-03-03", "2026-03-04"], "capacity": 2,
         "districts": ["east", "west"], "qualifications": ["food"]},
        {"id": "m2", "department": "market", "days": ["2026-03-02", "2026-03-03"], "capacity": 2,
         "districts": None, "qualifications": ["food"]},
        {"id": "f1", "department": "fire", "days": ["2026-03-02", "2026-03-03", "2026-03-04"], "capacity": 1,
         "districts": ["east", "west"], "qualifications": []},
    ],
    "tasks": [
        {"id": "t1", "department": "market", "firm": "F1", "window": ["2026-03-02", "2026-03-03"],
         "on_site": True, "officers_needed": 2, "qualification": "food"},
        {"id": "t2", "department": "fire", "firm": "F1", "window": ["2026-03-02", "2026-03-04"],
         "on_site": True, "officers_needed": 1, "qualification": None},
        {"id": "t3", "department": "market", "firm": "F2", "window": ["2026-03-02", "2026-03-04"]},
        {"id": "t4", "department": "fire", "firm": "F2", "window": ["2026-03-04", "2026-03-04"]},
        {"id": "t5", "department": "market", "firm": "F2", "window": ["2026-03-02", "2026-03-04"], "on_site": False},
        {"id": "t6", "department": "fire", "firm": "F3", "window": ["2026-03-02", "2026-03-03"],
         "officers_needed": 2},
    ],
}


def solved(tmp_path: Path, data: dict) -> tuple[Path, Path, dict]:
    """Solve ``data`` as ``inspection schedule solve`` does (the same reading and writing), return the files."""
    instance_path, solution_path = tmp_path / "instance.json", tmp_path / "solution.json"
    instance_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    instance = scheduler.Instance.from_dict(json.loads(instance_path.read_text(encoding="utf-8")))
    solution = scheduler.solve(instance, scheduler.SolverConfig(time_limit=5, workers=1))
    assert scheduler.check_solution(instance, solution) == []
    result = solution.to_dict()
    solution_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return instance_path, solution_path, result


def test_schedule_checker_accepts_the_solver_and_names_broken_rules(tmp_path, schedule_checker):
    instance_path, solution_path, solution = solved(tmp_path, TINY)
    assert [u["task"] for u in solution["unscheduled"]] == ["t6"]  # two fire officers needed, one exists
    assert solution["stats"]["lower_bound"] == 3

    result = run(schedule_checker, str(instance_path), str(solution_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK:") and "lower bound 3" in result.stdout

    def broken(change) -> list[str]:
        copy = json.loads(json.dumps(solution))
        change(copy)
        solution_path.write_text(json.dumps(copy), encoding="utf-8")
        checked = run(schedule_checker, str(instance_path), str(solution_path))
        assert checked.returncode == 1, checked.stdout + checked.stderr
        # The platform's own checker agrees that the changed solution is wrong.
        assert scheduler.check_solution(scheduler.Instance.from_dict(TINY), scheduler.Solution.from_dict(copy))
        return checked.stdout.splitlines()

    visit_f1 = next(i for i, v in enumerate(solution["visits"]) if v["firm"] == "F1")
    assert any("t1 lacks" in line for line in broken(lambda s: s["visits"][visit_f1]["officers"]["market"].pop()))
    assert any("closed" in line for line in broken(lambda s: s["visits"][visit_f1].update(day="2026-03-04")))
    assert any("t6" in line for line in broken(lambda s: s["unscheduled"].clear()))
    assert any("t5" in line for line in broken(lambda s: s["unscheduled"].append({"task": "t5", "reason": "x"})))
    assert any("stats.visits" in line for line in broken(lambda s: s["stats"].update(visits=0)))


def test_schedule_checker_lower_bound_is_the_solvers(tmp_path, schedule_checker):
    for seed in range(3):
        instance = small_instance(seed, n_firms=12, n_days=6, n_departments=3, multi_visit_share=0.4)
        folder = tmp_path / str(seed)
        folder.mkdir()
        instance_path, solution_path, solution = solved(folder, instance.to_dict())
        assert solution["stats"]["lower_bound"] == scheduler.lower_bound(instance)
        result = run(schedule_checker, str(instance_path), str(solution_path))
        assert result.returncode == 0, result.stdout + result.stderr


def test_schedule_solve_command_output_passes_the_checker(runner, tmp_path, schedule_checker):
    instance_path, solution_path = tmp_path / "in.json", tmp_path / "out.json"
    instance_path.write_text(json.dumps(TINY), encoding="utf-8")
    result = runner.invoke(args=["schedule", "solve", str(instance_path), "--out", str(solution_path),
                                 "--time-limit", "5", "--workers", "1"])
    assert result.exit_code == 0, result.output
    checked = run(schedule_checker, str(instance_path), str(solution_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- Links, outside references, commands --------------------------------------------------------

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def relative_links(path: Path) -> list[str]:
    text = re.sub(r"^```.*?^```$", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return [target for target in LINK.findall(text)
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")]


def test_there_is_documentation_to_check():
    names = {p.relative_to(ROOT).as_posix() for p in MARKDOWN}
    assert {"README.md", "docs/architecture.md", "docs/configuration.md", "docs/cli.md", "docs/file-formats.md",
            "docs/protocols/README.md", "docs/protocols/draws.md", "docs/protocols/schedule-exchange.md"} <= names


def anchors(path: Path) -> set[str]:
    """The heading anchors of a page, as the repository's host makes them (lower case, punctuation
    dropped, spaces as hyphens; letters of every script kept)."""
    text = re.sub(r"^```.*?^```$", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_lead_to_files_of_the_repository(page):
    text = re.sub(r"^```.*?^```$", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
    same_page = [t for t in LINK.findall(text) if t.startswith("#")]
    for target in relative_links(page) + same_page:
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        assert resolved.is_relative_to(ROOT), f"{page.name}: {target} leads outside the repository"
        assert resolved.exists(), f"{page.name}: {target} leads to no file"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{page.name}: {target} names no heading of {resolved.name}"


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_page_refers_to_files_outside_the_repository(page):
    text = page.read_text(encoding="utf-8")
    for outside in (r"INTERFACE[S]", r"\.\./shared", r"shared design"):  # spelt so that the code holds no citation
        assert not re.search(outside, text), f"{page.name} mentions {outside}"


def test_the_import_file_examples_are_valid():
    from inspection.pure.imports import FIRM_COLUMNS, district_lookup, validate_firms

    page = (DOCS / "file-formats.md").read_text(encoding="utf-8")
    lines = re.findall(r"^```csv\n(.*?)^```$", page, re.S | re.M)[0].splitlines()
    assert lines[0] == ",".join(FIRM_COLUMNS)
    rows = [(number, line.split(",")) for number, line in enumerate(lines[1:], start=2)]
    records, problems = validate_firms(rows, district_lookup([("370502", "东营区")]), header=lines[0].split(","))
    assert problems == [] and len(records) == len(rows)


def test_the_readme_keeps_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ("python3.11 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/inspection demo\n"
            in readme)
    assert ("python3.11 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest\n"
            in readme)


def test_every_command_is_in_the_command_line_page(app):
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#+ `inspection ([a-z -]+?)`", page, re.M))
    commands = set()
    with click.Context(app.cli) as context:
        for name in app.cli.list_commands(context):
            command = app.cli.get_command(context, name)
            if name in ("limiter", "openapi"):  # the libraries' own maintenance groups
                continue
            if isinstance(command, click.Group):
                commands |= {f"{name} {sub}" for sub in command.list_commands(context)}
            else:
                commands.add(name)
    assert commands == documented


# -- The import contracts of docs/architecture.md -------------------------------------------------

OURS = {"checklists", "inspection", "scheduler", "web", "core", "tests", "benchmarks"}


def imported_modules(package: str):
    """``(file, top-level module)`` of every absolute import in a package (relative ones stay inside)."""
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path.relative_to(ROOT).as_posix(), alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path.relative_to(ROOT).as_posix(), node.module.split(".")[0]


def test_the_import_contracts_hold():
    for path, module in imported_modules("scheduler"):
        assert module in sys.stdlib_module_names or module == "ortools", f"{path} imports {module}"
    if (ROOT / "core").is_dir():
        for path, module in imported_modules("core"):
            assert module not in OURS, f"{path} imports {module}"
    for path, module in imported_modules("checklists"):
        assert module not in {"inspection", "scheduler", "web"}, f"{path} imports {module}"
    for package in ("checklists", "inspection", "scheduler", "core"):
        if (ROOT / package).is_dir():
            for path, module in imported_modules(package):
                assert module not in {"flask", "flask_login", "flask_wtf", "flask_smorest", "flask_limiter", "web"}, \
                    f"{path} imports {module}"
